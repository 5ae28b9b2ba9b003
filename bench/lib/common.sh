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

# bench_init REFERENCE TOOL...: the start of a bench/*/run.sh measured against ../shared/bench. Refuses to run
# unless root (REFERENCE names what needs it, e.g. "the Dovecot reference"); sets HERE (the script's folder), REPO,
# SHARED_BENCH (env override, default ../shared/bench next to the repo) and REF (its ref-setup.sh); exits 2 when
# ref-setup.sh or one of the named TOOLs of SHARED_BENCH is missing.
bench_init() {
  local reference=$1 f
  shift
  HERE=$(cd "$(dirname "$0")" && pwd)
  REPO=$(cd "$HERE/../.." && pwd)
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench/$(basename "$HERE")/run.sh must run as root: $reference (ref-setup.sh) installs packages and runs daemons as root. Try: sudo $0" >&2
    exit 2
  fi
  SHARED_BENCH=$(cd "${SHARED_BENCH:-$REPO/../shared/bench}" && pwd)
  REF="$SHARED_BENCH/ref-setup.sh"
  for f in ref-setup.sh "$@"; do
    [ -f "$SHARED_BENCH/$f" ] || { echo "missing reference tool $SHARED_BENCH/$f (set SHARED_BENCH)" >&2; exit 2; }
  done
}
