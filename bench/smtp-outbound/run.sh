#!/usr/bin/env bash
# SMTP outbound benchmark (issue 4): queue throughput of pochta against Postfix, in ONE run, same machine.
#
#   sudo bench/smtp-outbound/run.sh            # full: 5000 messages x 5 KB, smtp-source -s 20, 3 runs (medians)
#   sudo QUICK=1 bench/smtp-outbound/run.sh    # quick: 500 messages, 1 run
#
# Env overrides: M (messages per run), S (smtp-source sessions), LEN (body bytes), RUNS, POCHTA_PORT (2635),
# POCHTA_SINK_PORT (2637), SHARED_BENCH (the reference tooling, default ../shared/bench next to the repo),
# DATA_DIR (pochta data dir, default a fresh /var/tmp/pochta-bench-out.XXXXXX), LOG_DIR (default DATA_DIR/logs),
# POCHTA_QUEUE_TOML (extra [queue] keys for pochta, e.g. 'concurrency_per_domain = 20', to test a hypothesis).
# REF_WAIT (seconds to wait for another benchmark to release the reference ports, default 600).
#
# The load is ../shared/bench/smtp-relay-sink.sh: smtp-source → the MTA on 127.0.0.1 → Postfix's smtp-sink,
# every message to user1@remote.test. "accepted" = msg/s acknowledged by the MTA; "relayed" = msg/s counted by
# the sink itself (its -c message counter reaching -m), i.e. how fast the queue empties into the next hop.
#   pochta:    [queue] relay_host = "127.0.0.1:POCHTA_SINK_PORT" (smarthost: no DNS), loopback trusted, so port 25
#              relays; default queue settings (concurrency 20, 5 per destination domain).
#   reference: RELAY=sink ref-setup.sh start: Postfix with transport_maps remote.test → smtp:[127.0.0.1]:2526.
#
# Side effects: builds dist/, writes DATA_DIR, starts pochta (killed on exit), starts and stops the reference
# (apt installs postfix/dovecot when missing, hence root) and smtp-sink. Loopback only.
set -euo pipefail

# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"   # bench_init, wait_port, port_free
bench_init "the Postfix reference" smtp-relay-sink.sh smtp_throughput.py
RELAY_SINK="$SHARED_BENCH/smtp-relay-sink.sh"

POCHTA_PORT=${POCHTA_PORT:-2635}
POCHTA_SINK_PORT=${POCHTA_SINK_PORT:-2637}
REF_PORT=2525
REF_SINK_PORT=2526   # ref-setup.sh's RELAY_PORT
if [ "${QUICK:-0}" = 1 ]; then M=${M:-500}; RUNS=${RUNS:-1}; else M=${M:-5000}; RUNS=${RUNS:-3}; fi
S=${S:-20}
LEN=${LEN:-5000}
TIMEOUT=${TIMEOUT:-900}
DATA_DIR=${DATA_DIR:-$(mktemp -d /var/tmp/pochta-bench-out.XXXXXX)}
LOG_DIR=${LOG_DIR:-$DATA_DIR/logs}

POCHTA_PID=""
REF_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$POCHTA_PID" ] && kill -0 "$POCHTA_PID" 2>/dev/null; then
    kill "$POCHTA_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$POCHTA_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$POCHTA_PID" 2>/dev/null || true
  fi
  if [ "$REF_STARTED" = 1 ]; then "$REF" stop >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


declare -A RES   # RES[target]="accepted relayed"

# measure TARGET MTA_PORT SINK_PORT [smtp_throughput.py options]: the relay load, medians of RUNS runs
measure() {
  local target=$1 mta=$2 sink=$3; shift 3
  local log="$LOG_DIR/$target.log" med acc del
  echo "== $target: smtp-relay-sink.sh $mta $sink -s $S -m $M -l $LEN --runs $RUNS $*"
  "$RELAY_SINK" "$mta" "$sink" -s "$S" -m "$M" -l "$LEN" --runs "$RUNS" --timeout "$TIMEOUT" "$@" 2>&1 | tee "$log" \
    || echo "!! smtp-relay-sink.sh failed for $target (exit ${PIPESTATUS[0]}; see $log)" >&2
  med=$(grep '^MEDIAN' "$log" || true)
  if [ -z "$med" ]; then echo "!! $target produced no median (see $log)" >&2; RES[$target]="- -"; return 0; fi
  acc=$(sed -E 's/^MEDIAN accepted ([0-9.]+) msg\/s.*/\1/' <<<"$med")
  del=$(sed -E 's/.*; delivered ([0-9.]+) msg\/s.*/\1/' <<<"$med")
  # a run in which the sink did not get every message is a finding, not a figure: flag it
  if grep -E '^run [0-9]+:' "$log" | grep -vqE 'delivered ([0-9]+)/\1 '; then
    echo "!! $target: some run relayed fewer than expected (see $log)" >&2
    del="${del}!"
  fi
  RES[$target]="$acc $del"
}

echo "# pochta SMTP outbound benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU, $(uname -r)"
echo "# load: smtp-source -s $S -m $M -l $LEN to user1@remote.test, relayed to smtp-sink; $RUNS run(s)"
echo "# data dir $DATA_DIR, logs $LOG_DIR"

# 1. pochta ---------------------------------------------------------------------------------------------
(cd "$REPO" && node scripts/ensure.mjs build)
for p in "$POCHTA_PORT" "$POCHTA_SINK_PORT"; do port_free "$p" || { echo "port $p is already in use" >&2; exit 2; }; done
QUEUE_TOML=$(printf '[queue]\nrelay_host = "127.0.0.1:%s"\nrelay_tls = "may"\n%s\n' "$POCHTA_SINK_PORT" "${POCHTA_QUEUE_TOML:-}")
(cd "$REPO" && node --import tsx bench/lib/setup-pochta.ts "$DATA_DIR" --smtp "$POCHTA_PORT" --users 1 --toml "$QUEUE_TOML")
mkdir -p "$LOG_DIR"   # after setup-pochta.ts, which empties DATA_DIR
(cd "$REPO" && exec node dist/main.js serve --config "$DATA_DIR/pochta.toml") >"$LOG_DIR/pochta.log" 2>&1 </dev/null &
POCHTA_PID=$!
wait_port "$POCHTA_PORT" || { tail -20 "$LOG_DIR/pochta.log" >&2; exit 1; }
echo "pochta up (pid $POCHTA_PID) on 127.0.0.1:$POCHTA_PORT, relay_host 127.0.0.1:$POCHTA_SINK_PORT"
measure pochta "$POCHTA_PORT" "$POCHTA_SINK_PORT"
kill -0 "$POCHTA_PID" 2>/dev/null || { echo "!! pochta died (see $LOG_DIR/pochta.log)" >&2; tail -30 "$LOG_DIR/pochta.log" >&2; exit 1; }
LEFT=$(cd "$DATA_DIR" && node "$REPO/dist/main.js" queue list --config pochta.toml 2>/dev/null | grep -c '@' || true)
POCHTA_RSS=$(ps -o rss= -p "$POCHTA_PID" | tr -d ' ')
kill "$POCHTA_PID"; wait "$POCHTA_PID" 2>/dev/null || true; POCHTA_PID=""
if grep -qiE '"level":(50|60)|error|exception' "$LOG_DIR/pochta.log"; then
  echo "!! pochta logged errors during the load:" >&2; grep -iE 'error|exception' "$LOG_DIR/pochta.log" | sort | uniq -c | sort -rn | head -10 >&2
fi

# 2. the reference: Postfix relaying remote.test to its own sink -------------------------------------------
# another benchmark may hold the shared reference: wait for it (up to REF_WAIT seconds, default 600)
for p in "$REF_PORT" "$REF_SINK_PORT"; do
  for _ in $(seq 1 $(( ${REF_WAIT:-600} / 5 ))); do port_free "$p" && break; sleep 5; done
  port_free "$p" || { echo "port $p is still in use: another reference is running" >&2; exit 2; }
done
REF_STARTED=1
RELAY=sink "$REF" start
measure ref "$REF_PORT" "$REF_SINK_PORT"
"$REF" stop
REF_STARTED=0

# 3. summary ---------------------------------------------------------------------------------------------
ratio() { awk -v a="${1%!}" -v b="${2%!}" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
read -r pa pd <<<"${RES[pochta]}"
read -r ra rd <<<"${RES[ref]}"
echo
echo "## SMTP outbound: pochta vs Postfix relaying to smtp-sink, same run ($(date -u '+%Y-%m-%d'), $(nproc) CPU, $RUNS run(s), medians)"
echo "load: smtp-source -s $S, $M x $LEN B to user1@remote.test; accepted = 250 after DATA; relayed = counted by the sink; ! = some run lost messages"
printf '| %-9s | %-14s | %-13s |\n' target "accepted msg/s" "relayed msg/s"
printf '|%s|%s|%s|\n' "-----------" "----------------" "---------------"
printf '| %-9s | %-14s | %-13s |\n' pochta "$pa" "$pd"
printf '| %-9s | %-14s | %-13s |\n' Postfix "$ra" "$rd"
printf '| %-9s | %-14s | %-13s |\n' ratio "$(ratio "$pa" "$ra")" "$(ratio "$pd" "$rd")"
echo "(pochta RSS after the load: ${POCHTA_RSS:-?} KiB; entries left in its queue: ${LEFT:-?})"
echo "raw outputs: $LOG_DIR"
