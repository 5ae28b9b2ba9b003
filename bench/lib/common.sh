# Shell helpers shared by bench/*/run.sh (sourced, not run). Loopback only.

# wait_port PORT [tries]: waits until something accepts on 127.0.0.1:PORT (tries x 0.2 s, default 30 s).
wait_port() {
  for _ in $(seq 1 "${2:-150}"); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "port $1 did not open" >&2; return 1
}

# port_free PORT: true when nothing accepts on 127.0.0.1:PORT.
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
