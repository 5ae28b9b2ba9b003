#!/usr/bin/env bash
# Memory of idle IMAP connections (issue 5): N connections logged in, INBOX selected, in IDLE, measured with
# ../shared/bench/idle_conns.py (RSS and PSS of the server's process tree before and after, per connection).
#
#   bench/imap-idle/run.sh                                         # 5,000 connections, an empty INBOX
#   DATA_DIR=/var/tmp/pochta-imap-100k-view bench/imap-idle/run.sh # INBOX of a data dir filled by bench/imap (100k)
#   REF=1 bench/imap-idle/run.sh                                   # also the Dovecot reference (ref-setup.sh, 1143)
#
# Env: N (5000), USERS (1: every connection is user1@bench.test, so all select the same INBOX), POCHTA_PORT
# (12243), DATA_DIR (default: a fresh one from bench/lib/setup-pochta.ts), CONCURRENCY (50), SHARED_BENCH.
# The run's config is DATA_DIR/pochta.toml plus `[imap] max_connections_per_user = N` (the default, 50, would
# refuse the rest: IMAP listeners have no other connection cap); written to DATA_DIR/pochta-idle.toml.
# File descriptors: one per connection on each side, so the script raises `ulimit -n` to 2*N+1024 for both
# pochta and the client (pochta itself does not raise its limit: see docs/operations.md / the benchmark notes).
# Plain TCP only: idle_conns.py speaks no TLS. Side effects: starts pochta (stopped on exit). Loopback only.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED_BENCH=$(cd "${SHARED_BENCH:-$REPO/../shared/bench}" && pwd)
N=${N:-5000}
USERS=${USERS:-1}
POCHTA_PORT=${POCHTA_PORT:-12243}
CONCURRENCY=${CONCURRENCY:-50}
ulimit -n $((2 * N + 1024))

if [ -z "${DATA_DIR:-}" ]; then
  DATA_DIR=$(mktemp -d /var/tmp/pochta-bench-imap-idle.XXXXXX)
  (cd "$REPO" && node --import tsx bench/lib/setup-pochta.ts "$DATA_DIR" --imap "$POCHTA_PORT" --users "$USERS")
fi
(cd "$REPO" && node scripts/ensure.mjs build)
CONF=$DATA_DIR/pochta-idle.toml
# The data dir's config, with this run's port and the per-user cap raised to N.
sed -E "s/^port = [0-9]+$/port = $POCHTA_PORT/" "$DATA_DIR/pochta.toml" | grep -v '^max_connections_per_user' >"$CONF"
if grep -q '^\[imap\]' "$CONF"; then
  sed -i "s/^\[imap\]$/[imap]\nmax_connections_per_user = $N/" "$CONF"
else
  printf '\n[imap]\nmax_connections_per_user = %s\n' "$N" >>"$CONF"
fi

PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT
(cd "$REPO" && exec node dist/main.js serve --config "$CONF") >>"$DATA_DIR/pochta-idle.log" 2>&1 </dev/null &
PID=$!
. "$REPO/bench/lib/common.sh"
wait_port "$POCHTA_PORT" 1500
echo "# pochta idle IMAP connections: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU; N=$N users=$USERS data=$DATA_DIR"
python3 "$SHARED_BENCH/idle_conns.py" imap 127.0.0.1 "$POCHTA_PORT" --pid "$PID" -n "$N" --users "$USERS" \
  --select-idle --concurrency "$CONCURRENCY" --timeout 60
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=

if [ "${REF:-0}" = 1 ]; then
  # Dovecot reference of ../shared/bench/ref-setup.sh (default BENCH_ROOT, IMAP on 1143), started if needed.
  "$SHARED_BENCH/ref-setup.sh" start >/dev/null
  DPID=$(pgrep -o -x dovecot)
  echo "# Dovecot reference (pid $DPID)"
  python3 "$SHARED_BENCH/idle_conns.py" imap 127.0.0.1 1143 --pid "$DPID" -n "$N" --users "$USERS" \
    --select-idle --concurrency "$CONCURRENCY" --timeout 60
fi
