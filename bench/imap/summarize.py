#!/usr/bin/env python3
# Usage: bench/imap/summarize.py POCHTA_LOG REFERENCE_LOG
# Reads two outputs of ../shared/bench/imap_bigmailbox.py (same -n, --seed, --runs) and prints a Markdown table:
# per operation the pochta and reference medians for the cold rounds (after a server restart) and the warm
# rounds, with the ratio pochta / reference (below 1: pochta faster), then the fill and "first open" figures.
# Pure text processing; no side effects.
import re
import sys

# LOGIN and SELECT are also shown apart: pochta's cold LOGIN verifies an argon2id hash (the reference's users have
# {PLAIN} passwords), later logins hit the credential cache.
OPS = ["LOGIN+SELECT", "connect+LOGIN", "SELECT INBOX", "UID FETCH 1:* (FLAGS)", "UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE FLAGS ENVELOPE)",
       "UID SEARCH SUBJECT <rare>", "UID SEARCH BODY <rare>", "UID SORT (DATE) UTF-8 ALL", "FETCH 1:1000 (BODYSTRUCTURE)"]
FIRST = [("login_select", "LOGIN+SELECT"), ("fetch_flags", "UID FETCH 1:* (FLAGS)"), ("fetch_env", "ENVELOPE fetch"),
         ("search_subject", "UID SEARCH SUBJECT"), ("search_body", "UID SEARCH BODY"), ("sort_date", "UID SORT (DATE)"),
         ("bodystructure", "FETCH 1:1000 (BODYSTRUCTURE)")]


def parse(path):
    out = {"cold": {}, "warm": {}, "first": {}, "fill": None, "problems": []}
    kind = None
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return out
    for line in lines:
        m = re.match(r"MEDIAN (cold|warm)", line)
        if m:
            kind = m.group(1)
            continue
        if kind and line.startswith("  "):
            m = re.match(r"  (.+?)\s+([0-9.]+)\s+\[", line)
            if m:
                out[kind][m.group(1).strip()] = float(m.group(2))
            continue
        kind = None
        if line.startswith("first open after fill:"):
            for k, v in re.findall(r"(\w+) ([0-9.]+)s", line):
                out["first"][k] = float(v)
        m = re.match(r"# (?:appended|filled) .* in ([0-9.]+)s \(([0-9]+) msg/s\)", line)
        if m:
            out["fill"] = (float(m.group(1)), int(m.group(2)))
        if "PROBLEMS" in line:
            out["problems"].append(line)
    return out


def fmt(v):
    if v is None:
        return "-"
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def main():
    p, r = parse(sys.argv[1]), parse(sys.argv[2])
    print("| operation | pochta cold | Dovecot cold | ratio cold | pochta warm | Dovecot warm | ratio warm |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for op in OPS:
        pc, rc, pw, rw = p["cold"].get(op), r["cold"].get(op), p["warm"].get(op), r["warm"].get(op)
        label = {"connect+LOGIN": "of which connect+LOGIN", "SELECT INBOX": "of which SELECT INBOX"}.get(op, op)
        print(f"| {label.replace('<rare>', 'xylograph')} | {fmt(pc)} | {fmt(rc)} | {ratio(pc, rc)} | {fmt(pw)} | {fmt(rw)} | {ratio(pw, rw)} |")
    if p["first"] or r["first"]:
        print()
        print("First round right after the fill (Dovecot builds its index here; pochta indexed at delivery):")
        print()
        print("| operation | pochta | Dovecot | ratio |")
        print("|---|---:|---:|---:|")
        for key, label in FIRST:
            a, b = p["first"].get(key), r["first"].get(key)
            print(f"| {label} | {fmt(a)} | {fmt(b)} | {ratio(a, b)} |")
    for name, d in (("pochta", p), ("Dovecot", r)):
        if d["fill"]:
            print(f"\n{name} fill: {d['fill'][0]:.0f} s ({d['fill'][1]} msg/s)", end="")
    print("\n(ratio = pochta time / Dovecot time: below 1 means pochta is faster)")
    for name, d in (("pochta", p), ("Dovecot", r)):
        for line in d["problems"]:
            print(f"!! {name}: {line}")


if __name__ == "__main__":
    main()
