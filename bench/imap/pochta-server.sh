#!/usr/bin/env bash
# Starts, stops or restarts the pochta under benchmark (bench/imap/run.sh's --restart-cmd for the cold rounds).
#
#   bench/imap/pochta-server.sh start|stop|restart DATA_DIR PORT
#
# Runs `node dist/main.js serve --config DATA_DIR/pochta.toml` in the background with its pid in
# DATA_DIR/pochta.pid and its output appended to DATA_DIR/pochta.log; `start` returns once PORT accepts
# connections. NODE_OPTS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to node. Loopback only.
set -euo pipefail
cmd=${1:?start|stop|restart}; DATA_DIR=${2:?DATA_DIR}; PORT=${3:?PORT}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PIDFILE=$DATA_DIR/pochta.pid

stop() {
  [ -f "$PIDFILE" ] || return 0
  local pid; pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
}

start() {
  # shellcheck disable=SC2086  # NODE_OPTS is a list of options
  (cd "$REPO" && exec node ${NODE_OPTS:-} dist/main.js serve --config "$DATA_DIR/pochta.toml") >>"$DATA_DIR/pochta.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 150); do
    (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && return 0
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
    sleep 0.2
  done
  echo "pochta did not open port $PORT (see $DATA_DIR/pochta.log)" >&2
  tail -20 "$DATA_DIR/pochta.log" >&2
  return 1
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|restart DATA_DIR PORT" >&2; exit 2 ;;
esac
