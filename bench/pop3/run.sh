#!/usr/bin/env bash
# POP3 RETR benchmark (issue 6): pochta against the Dovecot reference, in ONE run, same machine.
#
#   sudo bench/pop3/run.sh          # 1000 messages of ~15 KB in user1's INBOX, RETR all, RUNS=5 sessions per target
#
# Env overrides: N (messages, 1000), SIZE (bytes per message, 15000), RUNS (5), WARMUP (2), POCHTA_POP3 (2110),
# POCHTA_IMAP (2143), SHARED_BENCH (the reference tooling, default ../shared/bench next to the repo), DATA_DIR
# (pochta data dir, default a fresh /var/tmp/pochta-bench-pop3.XXXXXX, removed at exit unless KEEP_DATA=1),
# LOG_DIR (raw outputs incl. pochta's log; default DATA_DIR.logs, kept), NODE_OPTS (extra node flags for pochta,
# e.g. NODE_OPTS="--cpu-prof --cpu-prof-dir=/tmp/pop3-prof" writes a .cpuprofile when pochta exits).
#
# Both INBOXes are filled the same way: the same generated mbox (N messages of SIZE bytes, written here)
# appended over IMAP with pop3_retr.py's fill (pochta's IMAP listener; Dovecot's 1143). Then RUNS sessions per
# target, ALTERNATING pochta and Dovecot (both servers up), each one `pop3_retr.py --runs 1`: USER/PASS + STAT and
# RETR of every message with Python's poplib. Medians per target. Alternating makes both targets see the same load
# from other jobs on a shared machine. Before them, WARMUP untimed sessions per target, alternating the same way
# (identical treatment of both sides): a production server is a long-running, warm process, and pochta's first
# sessions run JIT-cold code (Dovecot's per-login process has no such phase). The warm-up sessions are timed anyway
# and printed apart: the first one of each target is its cold first session (WARMUP=0: the timed ones include it).
#
# Side effects: builds dist/, writes DATA_DIR and an mbox in LOG_DIR, starts pochta (killed on exit) and the
# reference (reset-mail, then stopped on exit; ref-setup.sh installs dovecot with apt if missing, hence root).
set -euo pipefail

# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"   # bench_init, wait_port, port_free
bench_init "the Dovecot reference" pop3_retr.py
RETR="$SHARED_BENCH/pop3_retr.py"

N=${N:-1000}
SIZE=${SIZE:-15000}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-2}
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

# fill TARGET POP3_PORT IMAP_PORT: N messages from the mbox into the INBOX over IMAP APPEND (pop3_retr.py's own
# fill_imap), without a POP3 session, so neither target gets a warm-up session.
fill() {
  local target=$1 pop=$2 imap=$3
  echo "== $target: fill INBOX of $USER_ADDR over IMAP 127.0.0.1:$imap"
  python3 - "$SHARED_BENCH" "$pop" "$imap" "$USER_ADDR" "$N" "$MBOX" <<'PY'
import argparse, sys, time
sys.path.insert(0, sys.argv[1])
from pop3_retr import fill_imap
a = argparse.Namespace(host="127.0.0.1", port=int(sys.argv[2]), fill_imap_port=int(sys.argv[3]), user=sys.argv[4],
                       password="pass", n=int(sys.argv[5]), mbox=sys.argv[6])
t = time.monotonic()
have = fill_imap(a, a.n)
print(f"# INBOX of {a.user} has {have} messages (fill took {time.monotonic() - t:.1f}s)")
PY
}

# session TARGET POP3_PORT RUN: one pop3_retr.py session (USER/PASS + STAT, RETR 1..N, QUIT), appended to TARGET.log
session() {
  local target=$1 pop=$2 run=$3 out
  out=$(python3 "$RETR" 127.0.0.1 "$pop" --user "$USER_ADDR" -n "$N" --runs 1 2>&1) \
    || { echo "!! pop3_retr.py failed for $target: $out" >&2; return 0; }
  grep '^run 1:' <<<"$out" | sed "s/^run 1:/$target run $run:/" | tee -a "$LOG_DIR/$target.log"
}

# 1. pochta ---------------------------------------------------------------------------------------------
echo "# pochta POP3 RETR benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPU, $(uname -r)"
echo "# $N messages of ~$SIZE bytes in $USER_ADDR's INBOX, $RUNS session(s) per target, interleaved; data dir $DATA_DIR, logs $LOG_DIR"
(cd "$REPO" && node scripts/ensure.mjs build)
for p in "$POCHTA_POP3" "$POCHTA_IMAP"; do port_free "$p" || { echo "port $p is already in use" >&2; exit 2; }; done
(cd "$REPO" && node --import tsx bench/lib/setup-pochta.ts "$DATA_DIR" --pop3 "$POCHTA_POP3" --imap "$POCHTA_IMAP" --users 10)
# shellcheck disable=SC2086  # NODE_OPTS is a list of node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
(cd "$REPO" && exec node ${NODE_OPTS:-} dist/main.js serve --config "$DATA_DIR/pochta.toml") >"$LOG_DIR/pochta.log" 2>&1 </dev/null &
POCHTA_PID=$!
wait_port "$POCHTA_POP3" || { tail -20 "$LOG_DIR/pochta.log" >&2; exit 1; }
wait_port "$POCHTA_IMAP" || { tail -20 "$LOG_DIR/pochta.log" >&2; exit 1; }
echo "pochta up (pid $POCHTA_PID) on 127.0.0.1:$POCHTA_POP3 (POP3), :$POCHTA_IMAP (IMAP)"
fill pochta "$POCHTA_POP3" "$POCHTA_IMAP"

# 2. the reference (Dovecot POP3) ------------------------------------------------------------------------
port_free "$REF_POP3" || { echo "port $REF_POP3 is in use before the reference starts (another reference running?)" >&2; exit 2; }
REF_STARTED=1
"$REF" start
"$REF" reset-mail
fill dovecot "$REF_POP3" "$REF_IMAP"

# 3. the sessions, alternating targets so both see the same machine load (other jobs come and go) --------
: >"$LOG_DIR/pochta.runs.log"; : >"$LOG_DIR/dovecot.runs.log"; : >"$LOG_DIR/pochta.warmup.log"; : >"$LOG_DIR/dovecot.warmup.log"
for w in $(seq 1 "$WARMUP"); do
  session pochta.warmup "$POCHTA_POP3" "$w"
  session dovecot.warmup "$REF_POP3" "$w"
done
for r in $(seq 1 "$RUNS"); do
  session pochta.runs "$POCHTA_POP3" "$r"
  session dovecot.runs "$REF_POP3" "$r"
done
POCHTA_RSS=$(ps -o rss= -p "$POCHTA_PID" | tr -d ' ')
kill "$POCHTA_PID"; wait "$POCHTA_PID" 2>/dev/null || true; POCHTA_PID=""
"$REF" reset-mail
"$REF" stop
REF_STARTED=0

# 4. summary: medians of the sessions -----------------------------------------------------------------------
# prints "login_ms retr_s msg_s mb_s warm_retr_s sessions" (warm: median without the first session) from lines "... login+STAT X ms; RETR n msgs (m MB) in Ys = ..."
medians() {
  python3 - "$1" "$N" <<'PY'
import re, statistics, sys
rows = [re.search(r"login\+STAT ([0-9.]+) ms; RETR \d+ msgs \(([0-9.]+) MB\) in ([0-9.]+)s", l) for l in open(sys.argv[1])]
rows = [m for m in rows if m]
if not rows:
    print("- - - - - -"); sys.exit()
login = statistics.median(float(m[1]) for m in rows)
retr = statistics.median(float(m[3]) for m in rows)
mb = float(rows[0][2])
warm = statistics.median(float(m[3]) for m in rows[1:]) if len(rows) > 1 else retr
print(f"{login:.1f} {retr:.2f} {int(sys.argv[2]) / retr:.0f} {mb / retr:.1f} {warm:.2f} {'/'.join(m[3] for m in rows)}")
PY
}
read -r pl ps pm pb pw pall <<<"$(medians "$LOG_DIR/pochta.runs.log")"
read -r dl ds dm db dw dall <<<"$(medians "$LOG_DIR/dovecot.runs.log")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "## POP3 RETR: pochta vs Dovecot, same run, sessions interleaved ($(date -u '+%Y-%m-%d'), $(nproc) CPU, median of $RUNS sessions after $WARMUP warm-up sessions each)"
echo "| target | login+STAT (ms) | RETR $N msgs (s) | msg/s | MB/s | RETR without session 1 (s) | each session's RETR (s) |"
echo "|---|---|---|---|---|---|---|"
echo "| pochta | $pl | $ps | $pm | $pb | $pw | $pall |"
echo "| Dovecot | $dl | $ds | $dm | $db | $dw | $dall |"
echo "time ratio pochta/Dovecot: RETR $(ratio "$ps" "$ds") (without session 1: $(ratio "$pw" "$dw")), login+STAT $(ratio "$pl" "$dl") (below 1 = pochta faster)"
# The cold first session of each target (the first warm-up session; with WARMUP=0 the first timed one).
first() { sed -nE '1s/.*login\+STAT ([0-9.]+) ms; RETR [0-9]+ msgs \([0-9.]+ MB\) in ([0-9.]+)s.*/\2 s (login+STAT \1 ms)/p' "$1"; }
if [ "$WARMUP" -gt 0 ]; then cold_log=warmup cold_note="the first warm-up session, not in the medians"; else cold_log=runs cold_note="included in the medians"; fi
echo "cold first session of each server: pochta $(first "$LOG_DIR/pochta.$cold_log.log"), Dovecot $(first "$LOG_DIR/dovecot.$cold_log.log") ($cold_note)"
if [ "$WARMUP" -gt 0 ]; then
  echo "warm-up sessions' RETR (s): pochta $(sed -nE 's/.* in ([0-9.]+)s.*/\1/p' "$LOG_DIR/pochta.warmup.log" | paste -sd/), Dovecot $(sed -nE 's/.* in ([0-9.]+)s.*/\1/p' "$LOG_DIR/dovecot.warmup.log" | paste -sd/)"
fi
echo "pochta RSS after the runs: ${POCHTA_RSS:-?} KiB"
echo "raw outputs: $LOG_DIR"
