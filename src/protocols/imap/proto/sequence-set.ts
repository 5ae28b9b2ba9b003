/**
 * Sequence sets (RFC 9051 §9 sequence-set, RFC 5182 `$`): parsing, formatting and resolution against a
 * mailbox view. Resolution works on ranges so `1:4294967295` costs O(ranges), never O(numbers); UID sets
 * resolve against a sorted UID array by binary search.
 * Invariants: every number is 1..4294967295; `*` is kept symbolic until resolved. Pure.
 */

import { ParseError } from './errors.js';

const MAX_UINT32 = 4294967295;

/** A bound: a number or `*` (the largest number in use). */
export type SeqBound = number | '*';

export interface SeqRange {
  from: SeqBound;
  to: SeqBound;
}

/** `$` is the SEARCHRES saved result (RFC 5182); otherwise a list of ranges as written. */
export type SequenceSet = { kind: 'saved' } | { kind: 'ranges'; ranges: SeqRange[] };

/** An inclusive numeric range after resolution. */
export type NumRange = [number, number];

function parseBound(s: string, whole: string): SeqBound {
  if (s === '*') return '*';
  if (!/^[0-9]+$/.test(s)) throw new ParseError('invalid-sequence-set', `Invalid sequence set: ${whole.slice(0, 50)}`);
  // RFC 9051 §9 seq-number = nz-number / "*"; nz-number ≤ 4294967295
  const n = s.length > 10 ? Infinity : Number(s);
  if (n === 0 || n > MAX_UINT32 || s[0] === '0') {
    throw new ParseError('invalid-sequence-set', `Invalid number in sequence set: ${s.slice(0, 20)}`);
  }
  return n;
}

/** Parses `1:4,7,9:*` or `$`. With `allowSaved` false, `$` is a syntax error. */
export function parseSequenceSet(text: string, opts: { allowSaved?: boolean; allowStar?: boolean } = {}): SequenceSet {
  if (text === '$') {
    if (opts.allowSaved === false) throw new ParseError('invalid-sequence-set', '$ is not allowed here');
    return { kind: 'saved' };
  }
  if (text.length === 0) throw new ParseError('invalid-sequence-set', 'Empty sequence set');
  const ranges: SeqRange[] = [];
  for (const piece of text.split(',')) {
    const colon = piece.indexOf(':');
    let r: SeqRange;
    if (colon < 0) {
      const b = parseBound(piece, text);
      r = { from: b, to: b };
    } else {
      r = { from: parseBound(piece.slice(0, colon), text), to: parseBound(piece.slice(colon + 1), text) };
    }
    if (opts.allowStar === false && (r.from === '*' || r.to === '*')) {
      throw new ParseError('invalid-sequence-set', '* is not allowed here');
    }
    ranges.push(r);
  }
  return { kind: 'ranges', ranges };
}

/** Writes a set back in IMAP syntax. */
export function formatSequenceSet(set: SequenceSet): string {
  if (set.kind === 'saved') return '$';
  return set.ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}:${r.to}`)).join(',');
}

/** Compresses numbers (any order, duplicates allowed) into IMAP syntax `1:3,7,9:10`; '' for none. */
export function compressNumbers(nums: readonly number[]): string {
  return formatRanges(numbersToRanges(nums));
}

export function numbersToRanges(nums: readonly number[]): NumRange[] {
  const sorted = [...nums].sort((a, b) => a - b);
  const out: NumRange[] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && n <= last[1] + 1) last[1] = Math.max(last[1], n);
    else out.push([n, n]);
  }
  return out;
}

export function formatRanges(ranges: readonly NumRange[]): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}:${b}`)).join(',');
}

/** Sorts and merges overlapping/adjacent ranges. */
export function normalizeRanges(ranges: NumRange[]): NumRange[] {
  const sorted = ranges.filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: NumRange[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * Replaces `*` by `max` and orders each range (RFC 9051 §9: `4:2` equals `2:4`). Ranges are not clipped to
 * max: RFC 3501 §6.4.8 says `559:*` includes the last UID even when 559 is higher. With max 0 (empty
 * mailbox) a range using `*` resolves to nothing.
 */
function substituteStar(set: SequenceSet, max: number): NumRange[] {
  if (set.kind === 'saved') throw new ParseError('invalid-sequence-set', 'The saved result ($) must be resolved by the session');
  const out: NumRange[] = [];
  for (const r of set.ranges) {
    if (max === 0 && (r.from === '*' || r.to === '*')) continue;
    const a = r.from === '*' ? max : r.from;
    const b = r.to === '*' ? max : r.to;
    out.push(a <= b ? [a, b] : [b, a]);
  }
  return out;
}

/**
 * Resolves a message-sequence-number set against a mailbox of `maxSeq` messages: sorted, merged ranges
 * clipped to 1..maxSeq.
 */
export function resolveSequenceNumbers(set: SequenceSet, maxSeq: number): NumRange[] {
  const out: NumRange[] = [];
  for (const [a, b] of normalizeRanges(substituteStar(set, maxSeq))) {
    if (a > maxSeq) break;
    out.push([a, Math.min(b, maxSeq)]);
  }
  return out;
}

/** True when a sequence-number set names a message beyond `maxSeq` (RFC 9051 §6.4: answer BAD). */
export function exceedsSequenceNumbers(set: SequenceSet, maxSeq: number): boolean {
  if (set.kind === 'saved') return false;
  return set.ranges.some((r) => (r.from !== '*' && r.from > maxSeq) || (r.to !== '*' && r.to > maxSeq));
}

/** First index i in sorted `arr` with arr[i] >= v. */
function lowerBound(arr: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Resolves a UID set against the mailbox's UIDs (strictly increasing). Returns sorted, merged ranges of
 * 0-based indexes into `uids` (add 1 for sequence numbers). `*` is the highest UID.
 */
export function resolveUidIndexes(set: SequenceSet, uids: ArrayLike<number>): NumRange[] {
  const max = uids.length ? uids[uids.length - 1]! : 0;
  const out: NumRange[] = [];
  for (const [a, b] of normalizeRanges(substituteStar(set, max))) {
    const i = lowerBound(uids, a);
    const j = lowerBound(uids, b + 1) - 1;
    if (i <= j) out.push([i, j]);
  }
  return normalizeRanges(out);
}

/** The UIDs of `uids` (strictly increasing) that the set names, in order. */
export function resolveUids(set: SequenceSet, uids: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (const [i, j] of resolveUidIndexes(set, uids)) for (let k = i; k <= j; k++) out.push(uids[k]!);
  return out;
}

/** Membership test for one number; `max` substitutes `*`. */
export function sequenceSetContains(set: SequenceSet, n: number, max: number): boolean {
  return substituteStar(set, max).some(([a, b]) => n >= a && n <= b);
}

/** Resolves with `*` = max and without clipping: the ranges a set names (e.g. for QRESYNC known-uids). */
export function sequenceSetRanges(set: SequenceSet, max: number): NumRange[] {
  return normalizeRanges(substituteStar(set, max));
}
