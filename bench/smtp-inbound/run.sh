#!/usr/bin/env bash
# SMTP inbound benchmark (issue 3): pochta against the Postfix + Dovecot reference, in ONE run, same machine.
#
#   sudo bench/smtp-inbound/run.sh            # full: 5000 msgs (-s 20), 2000 (-s 1), 500 x 100 rcpts; 3 runs each
#   sudo QUICK=1 bench/smtp-inbound/run.sh    # quick: 500 / 200 / 50 messages, 1 run each
#
# Env overrides: M20, M1, M100 (messages per load), RUNS, LEN (body bytes), POCHTA_PORT (2625),
# SHARED_BENCH (the reference tooling, default ../shared/bench next to the repo), DATA_DIR (pochta data dir,
# default a fresh /var/tmp/pochta-bench-smtp.XXXXXX, removed at exit unless KEEP_DATA=1), LOG_DIR (raw
# outputs incl. pochta's log; default DATA_DIR.logs, kept).
#
# Loads (smtp_throughput.py, medians of RUNS runs):
#   s20   smtp-source -s 20 -m M20 -l LEN, one recipient (user1)
#   s1    smtp-source -s 1  -m M1  -l LEN, one recipient
#   r100  asyncio client -s 20 -r 100 -m M100 -l LEN (100 recipients spread over 100 users), deliveries/s
#   s20d  smtp-source -s 20 -d -m M20 (supplementary: connections reused; LOADS="s20 s1 r100" leaves it out)
# Targets: pochta on 127.0.0.1:$POCHTA_PORT (messages counted in its SQLite store), then the reference on
# 127.0.0.1:2525 with DELIVERY=lmtp (Postfix -> Dovecot LMTP) and DELIVERY=virtual (Postfix virtual(8)),
# Maildir files counted, mailboxes reset before each run. Prints a table with pochta/reference ratios.
#
# Side effects: builds dist/, writes DATA_DIR, starts pochta (killed on exit) and the reference (stopped on exit;
# the reference installs postfix/dovecot with apt if missing, hence root). Loopback only.
set -euo pipefail

# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"   # bench_init, wait_port, port_free
bench_init "the Postfix + Dovecot reference" smtp_throughput.py
TPUT="$SHARED_BENCH/smtp_throughput.py"

POCHTA_PORT=${POCHTA_PORT:-2625}
REF_PORT=2525
if [ "${QUICK:-0}" = 1 ]; then
  M20=${M20:-500}; M1=${M1:-200}; M100=${M100:-50}; RUNS=${RUNS:-1}
else
  M20=${M20:-5000}; M1=${M1:-2000}; M100=${M100:-500}; RUNS=${RUNS:-3}
fi
LEN=${LEN:-5000}
# s20d (supplementary): like s20 but each session keeps its connection (-d), so per-connection costs
# (greeting delay, connection setup) drop out and the delivery path alone is measured.
LOADS=${LOADS:-s20 s1 r100 s20d}
TIMEOUT=${TIMEOUT:-900}

DATA_DIR=${DATA_DIR:-$(mktemp -d /var/tmp/pochta-bench-smtp.XXXXXX)}
LOG_DIR=${LOG_DIR:-$DATA_DIR.logs}
KEEP_DATA=${KEEP_DATA:-0}   # 1 keeps pochta's data dir (hundreds of MB after a full run) for inspection

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
  if [ "$KEEP_DATA" != 1 ] && [ -d "$DATA_DIR" ]; then rm -rf "${DATA_DIR:?}"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM



# results: RES[<target>.<load>]="accepted delivered" (delivered = msg/s, or deliveries/s for r100)
declare -A RES

# measure TARGET LOAD PORT EXTRA_ARGS...   runs smtp_throughput.py, keeps its output, records the medians
measure() {
  local target=$1 load=$2 port=$3; shift 3
  local log="$LOG_DIR/$target.$load.log" args
  case "$load" in
    s20) args=(-s 20 -m "$M20" -l "$LEN") ;;
    s1) args=(-s 1 -m "$M1" -l "$LEN") ;;
    s20d) args=(-s 20 -d -m "$M20" -l "$LEN") ;;
    r100) args=(--client asyncio -s 20 -r 100 -m "$M100" -l "$LEN") ;;
  esac
  echo "== $target / $load: smtp_throughput.py 127.0.0.1 $port ${args[*]} --runs $RUNS $*"
  python3 "$TPUT" 127.0.0.1 "$port" "${args[@]}" --runs "$RUNS" --timeout "$TIMEOUT" "$@" 2>&1 | tee "$log" \
    || echo "!! smtp_throughput.py failed for $target/$load (exit ${PIPESTATUS[0]}; see $log)" >&2
  local med acc del
  med=$(grep '^MEDIAN' "$log" || true)
  if [ -z "$med" ]; then echo "!! $target/$load produced no median (see $log)" >&2; RES[$target.$load]="- -"; return 0; fi
  acc=$(sed -E 's/^MEDIAN accepted ([0-9.]+) msg\/s.*/\1/' <<<"$med")
  if [ "$load" = r100 ]; then
    del=$(sed -E 's/.*\(([0-9.]+) deliveries\/s\).*/\1/' <<<"$med")
  else
    del=$(sed -E 's/.*; delivered ([0-9.]+) msg\/s.*/\1/' <<<"$med")
  fi
  # a run that did not deliver everything is a finding, not a figure: flag it
  if grep -E '^run [0-9]+:' "$log" | grep -vqE 'delivered ([0-9]+)/\1 '; then
    echo "!! $target/$load: some run delivered fewer than expected (see $log)" >&2
    del="${del}!"
  fi
  RES[$target.$load]="$acc $del"
}

# 1. pochta ---------------------------------------------------------------------------------------------
echo "# pochta SMTP inbound benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU, $(uname -r)"
echo "# loads ($LOADS): s20/s20d=$M20 msgs, s1=$M1 msgs, r100=$M100 msgs x 100 rcpts; ${LEN} B bodies; $RUNS run(s) each"
echo "# data dir $DATA_DIR, logs $LOG_DIR"
(cd "$REPO" && node scripts/ensure.mjs build)
port_free "$POCHTA_PORT" || { echo "port $POCHTA_PORT is already in use" >&2; exit 2; }
(cd "$REPO" && node --import tsx bench/lib/setup-pochta.ts "$DATA_DIR" --smtp "$POCHTA_PORT")
mkdir -p "$LOG_DIR"
(cd "$REPO" && exec node dist/main.js serve --config "$DATA_DIR/pochta.toml") >"$LOG_DIR/pochta.log" 2>&1 </dev/null &
POCHTA_PID=$!
wait_port "$POCHTA_PORT" || { tail -20 "$LOG_DIR/pochta.log" >&2; exit 1; }
echo "pochta up (pid $POCHTA_PID) on 127.0.0.1:$POCHTA_PORT"

COUNT="node $REPO/bench/lib/count-messages.mjs $DATA_DIR"
for load in $LOADS; do
  measure pochta "$load" "$POCHTA_PORT" --count-cmd "$COUNT"
  kill -0 "$POCHTA_PID" 2>/dev/null || { echo "!! pochta died during $load (see $LOG_DIR/pochta.log)" >&2; tail -30 "$LOG_DIR/pochta.log" >&2; exit 1; }
done
POCHTA_RSS=$(ps -o rss= -p "$POCHTA_PID" | tr -d ' ')
kill "$POCHTA_PID"; wait "$POCHTA_PID" 2>/dev/null || true; POCHTA_PID=""
if grep -qiE 'error|exception' "$LOG_DIR/pochta.log"; then
  echo "!! pochta logged errors during the loads:" >&2; grep -iE 'error|exception' "$LOG_DIR/pochta.log" | sort | uniq -c | sort -rn | head -10 >&2
fi

# 2. the reference, LMTP then virtual(8) -----------------------------------------------------------------
for mode in lmtp virtual; do
  port_free "$REF_PORT" || { echo "port $REF_PORT is in use before the reference starts (another reference running?)" >&2; exit 2; }
  REF_STARTED=1
  DELIVERY=$mode "$REF" start
  for load in $LOADS; do
    measure "ref-$mode" "$load" "$REF_PORT" --pre-run "$REF reset-mail"
  done
  "$REF" stop
  REF_STARTED=0
  for _ in $(seq 1 50); do port_free "$REF_PORT" && break; sleep 0.2; done
done
"$REF" reset-mail >/dev/null 2>&1 || true

# 3. summary ---------------------------------------------------------------------------------------------
ratio() { awk -v a="${1%!}" -v b="${2%!}" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "## SMTP inbound: pochta vs Postfix + Dovecot, same run ($(date -u '+%Y-%m-%d'), $(nproc) CPU, $RUNS run(s), medians)"
echo "accepted = msg/s acknowledged by 250 after DATA; delivered = msg/s in the mailbox (r100: deliveries/s); ! = some run lost messages"
printf '| %-33s | %-17s | %-18s | %-21s | %-13s | %-14s |\n' load "pochta acc / del" "ref LMTP acc / del" "ref virtual acc / del" "ratio vs LMTP" "ratio vs virt."
printf '|%s|%s|%s|%s|%s|%s|\n' "-----------------------------------" "-------------------" "--------------------" "-----------------------" "---------------" "----------------"
for load in $LOADS; do
  case "$load" in
    s20) name="smtp-source -s 20, $M20 x 5 KB" ;;
    s1) name="smtp-source -s 1, $M1 x 5 KB" ;;
    r100) name="asyncio -s 20 -r 100, $M100 msgs" ;;
    s20d) name="smtp-source -s 20 -d, $M20 x 5 KB" ;;
  esac
  read -r pa pd <<<"${RES[pochta.$load]:-- -}"
  read -r la ld <<<"${RES[ref-lmtp.$load]:-- -}"
  read -r va vd <<<"${RES[ref-virtual.$load]:-- -}"
  printf '| %-33s | %-17s | %-18s | %-21s | %-13s | %-14s |\n' "$name" "$pa / $pd" "$la / $ld" "$va / $vd" \
    "$(ratio "$pa" "$la") / $(ratio "$pd" "$ld")" "$(ratio "$pa" "$va") / $(ratio "$pd" "$vd")"
done
echo "(ratio columns: accepted / delivered, pochta divided by the reference; pochta RSS after the loads: ${POCHTA_RSS:-?} KiB)"
echo "raw outputs: $LOG_DIR"
