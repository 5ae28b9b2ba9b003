#!/usr/bin/env bash
# POP3 RETR benchmark (issue 6): pochta against the Dovecot reference, in ONE run, same machine.
#
#   sudo bench/pop3/run.sh          # 1000 messages of ~15 KB in user1's INBOX, RETR all, RUNS=3 runs per target
#
# Env overrides: N (messages, 1000), SIZE (bytes per message, 15000), RUNS (3), POCHTA_POP3 (2110),
# POCHTA_IMAP (2143), SHARED_BENCH (the reference tooling, default ../shared/bench next to the repo), DATA_DIR
# (pochta data dir, default a fresh /var/tmp/pochta-bench-pop3.XXXXXX, removed at exit unless KEEP_DATA=1),
# LOG_DIR (raw outputs incl. pochta's log; default DATA_DIR.logs, kept).
#
# Both INBOXes are filled the same way: the same generated mbox (N messages of SIZE bytes, written here)
# appended over IMAP by pop3_retr.py --fill-imap-port (pochta's IMAP listener; Dovecot's 1143). Then
# pop3_retr.py times USER/PASS + STAT and RETR of every message with Python's poplib (median of RUNS).
#
# Side effects: builds dist/, writes DATA_DIR and an mbox in LOG_DIR, starts pochta (killed on exit) and the
# reference (reset-mail, then stopped on exit; ref-setup.sh installs dovecot with apt if missing, hence root).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "bench/pop3/run.sh must run as root: the Dovecot reference (ref-setup.sh) installs packages and runs daemons as root. Try: sudo $0" >&2
  exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED_BENCH=$(cd "${SHARED_BENCH:-$(dirname "$0")/../../../shared/bench}" && pwd)
REF="$SHARED_BENCH/ref-setup.sh"
RETR="$SHARED_BENCH/pop3_retr.py"
for f in "$REF" "$RETR"; do [ -f "$f" ] || { echo "missing reference tool $f (set SHARED_BENCH)" >&2; exit 2; }; done

N=${N:-1000}
SIZE=${SIZE:-15000}
RUNS=${RUNS:-3}
POCHTA_POP3=${POCHTA_POP3:-2110}
POCHTA_IMAP=${POCHTA_IMAP:-2143}
REF_POP3=1110
REF_IMAP=1143
USER_ADDR=user1@bench.test
DATA_DIR=${DATA_DIR:-$(mktemp -d /var/tmp/pochta-bench-pop3.XXXXXX)}
LOG_DIR=${LOG_DIR:-$DATA_DIR.logs}
KEEP_DATA=${KEEP_DATA:-0}

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
  if [ "$REF_STARTED" = 1 ]; then "$REF" reset-mail >/dev/null 2>&1 || true; "$REF" stop >/dev/null 2>&1 || true; fi
  if [ "$KEEP_DATA" != 1 ] && [ -d "$DATA_DIR" ]; then rm -rf "${DATA_DIR:?}"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=../lib/common.sh
. "$HERE/../lib/common.sh"   # wait_port, port_free

mkdir -p "$LOG_DIR"
MBOX="$LOG_DIR/pop3-bench.mbox"
# N deterministic messages of about SIZE bytes each: headers and 76-column text lines (some starting with a dot,
# which POP3 must dot-stuff).
python3 - "$MBOX" "$N" "$SIZE" <<'PY'
import random, sys
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(6)
words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt labore".split()
with open(path, "w") as f:
    for i in range(n):
        head = (f"From: Sender {i} <sender{i}@example.com>\nTo: user1@bench.test\nSubject: POP3 bench message {i}\n"
                f"Date: Mon, 01 Jan 2024 00:{i // 60 % 60:02d}:{i % 60:02d} +0000\nMessage-ID: <pop3-bench-{i}@example.com>\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n")
        body, length = [], len(head)
        while length < size:
            line = " ".join(rng.choice(words) for _ in range(11))[:76]
            if rng.random() < 0.02:
                line = "." + line
            body.append(line)
            length += len(line) + 2
        f.write(f"From sender{i}@example.com Mon Jan  1 00:00:00 2024\n{head}" + "\n".join(body) + "\n\n")
PY

declare -A RES
# measure TARGET POP3_PORT IMAP_PORT: fills the INBOX over IMAP, then times the RETRs
measure() {
  local target=$1 pop=$2 imap=$3 log="$LOG_DIR/$1.log"
  echo "== $target: pop3_retr.py 127.0.0.1 $pop --user $USER_ADDR -n $N --runs $RUNS --fill-imap-port $imap"
  python3 "$RETR" 127.0.0.1 "$pop" --user "$USER_ADDR" -n "$N" --runs "$RUNS" --fill-imap-port "$imap" --mbox "$MBOX" 2>&1 | tee "$log" \
    || echo "!! pop3_retr.py failed for $target (exit ${PIPESTATUS[0]}; see $log)" >&2
  local med
  med=$(grep '^MEDIAN' "$log" || true)
  if [ -z "$med" ]; then RES[$target]="- - -"; return 0; fi
  RES[$target]="$(sed -E 's/^MEDIAN RETR ([0-9]+) msgs: ([0-9.]+)s = ([0-9]+) msg\/s, ([0-9.]+) MB\/s.*/\2 \3 \4/' <<<"$med")"
}

# 1. pochta ---------------------------------------------------------------------------------------------
echo "# pochta POP3 RETR benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU, $(uname -r)"
echo "# $N messages of ~$SIZE bytes in $USER_ADDR's INBOX, $RUNS run(s) per target; data dir $DATA_DIR, logs $LOG_DIR"
(cd "$REPO" && node scripts/ensure.mjs build)
for p in "$POCHTA_POP3" "$POCHTA_IMAP"; do port_free "$p" || { echo "port $p is already in use" >&2; exit 2; }; done
(cd "$REPO" && node --import tsx bench/lib/setup-pochta.ts "$DATA_DIR" --pop3 "$POCHTA_POP3" --imap "$POCHTA_IMAP" --users 10)
(cd "$REPO" && exec node dist/main.js serve --config "$DATA_DIR/pochta.toml") >"$LOG_DIR/pochta.log" 2>&1 </dev/null &
POCHTA_PID=$!
wait_port "$POCHTA_POP3" || { tail -20 "$LOG_DIR/pochta.log" >&2; exit 1; }
wait_port "$POCHTA_IMAP" || { tail -20 "$LOG_DIR/pochta.log" >&2; exit 1; }
echo "pochta up (pid $POCHTA_PID) on 127.0.0.1:$POCHTA_POP3 (POP3), :$POCHTA_IMAP (IMAP)"
measure pochta "$POCHTA_POP3" "$POCHTA_IMAP"
POCHTA_RSS=$(ps -o rss= -p "$POCHTA_PID" | tr -d ' ')
kill "$POCHTA_PID"; wait "$POCHTA_PID" 2>/dev/null || true; POCHTA_PID=""

# 2. the reference (Dovecot POP3) ------------------------------------------------------------------------
port_free "$REF_POP3" || { echo "port $REF_POP3 is in use before the reference starts (another reference running?)" >&2; exit 2; }
REF_STARTED=1
"$REF" start
"$REF" reset-mail
measure dovecot "$REF_POP3" "$REF_IMAP"
"$REF" reset-mail
"$REF" stop
REF_STARTED=0

# 3. summary ---------------------------------------------------------------------------------------------
read -r ps pm pb <<<"${RES[pochta]}"
read -r ds dm db <<<"${RES[dovecot]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "## POP3 RETR: pochta vs Dovecot, same run ($(date -u '+%Y-%m-%d'), $(nproc) CPU, median of $RUNS runs)"
echo "| target | RETR $N msgs (s) | msg/s | MB/s |"
echo "|---|---|---|---|"
echo "| pochta | $ps | $pm | $pb |"
echo "| Dovecot | $ds | $dm | $db |"
echo "time ratio pochta/Dovecot: $(ratio "$ps" "$ds") (below 1 = pochta faster); pochta RSS after the runs: ${POCHTA_RSS:-?} KiB"
echo "raw outputs: $LOG_DIR"
