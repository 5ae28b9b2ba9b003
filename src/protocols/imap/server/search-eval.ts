/**
 * SEARCH evaluation (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162 MODSEQ, RFC 5032 OLDER/YOUNGER, RFC 5182 `$`)
 * over the selected mailbox. Cheap keys (flags, sizes, dates, sets, modseq) use the summaries or the store's sets
 * (below); header keys, and sent-date keys without a store set, read the cached structure and header bytes; BODY/TEXT first take the candidates of the
 * store's full-text index (a superset) and then confirm the exact case-insensitive substring on the
 * decoded text; SUBJECT, FROM, TO, CC and BCC take their candidates from the store's decoded values of those
 * fields. When the index bounds the possible matches (BODY, TEXT, SUBJECT or another header key, see `narrow`),
 * only those candidates are read. The store tells those header matches that are exact ("sure") from those that
 * need the check: a message whose whole key is decidable (`decidable`: summary-only keys, SUBJECT/FROM/TO/CC/BCC
 * on a sure or non-candidate UID, and NOT/OR/AND of those) is answered from its summary (a UID range read) without its stored
 * row or blob; the others are read and checked as before, and `withStored` still loads the rows of the hits.
 * Messages are processed in batches so memory stays bounded. \Recent is never set here.
 *
 * Without `withStored`, a key that reads no summary field but flags (`summaryNeed`: NOT SUBJECT, sequence and UID
 * sets, RECENT, flags and keywords, and NOT/OR/AND of those with SUBJECT, BODY, TEXT or HEADER) reads no summaries
 * at all, for the whole mailbox or the index's candidates (`scanWithoutSummaries`): the view and the store's UID
 * list, or the store's packed flag listing (Store.listFlagText), say which decidable UIDs are still there and
 * their flags; those are answered synchronously (`decide`) and their matches carry no summary (SearchMatch
 * summary null). `withStored` and keys reading sizes, dates or modseqs keep the summary scan, so their matches
 * have their summary. Decidable UIDs of the summary scan are answered synchronously too.
 *
 * Flag keys (SEEN, UNSEEN, FLAGGED, KEYWORD x, ... in any spelling) without `withStored` take the store's set of
 * each flag (Store.searchFlag, `prepareFlags`: the UIDs with it, or for \Seen the UIDs without it, read from an
 * index) unless the other keys already narrow the search to a few messages: `decide` then answers flag keys from
 * those sets, `narrow` uses them (UNSEEN: only the unseen; FLAGGED: only the flagged), and they no longer need a
 * flag listing, so NOT SEEN is a set operation over the view and the store's UID list. The sets hold store state
 * as the listing does (a flag changed by another session and not yet announced is seen; a message expunged but
 * not announced, or delivered but not yet in the view, is left out by the UID list and the view).
 *
 * Size and date keys (LARGER, SMALLER, BEFORE, ON, SINCE, SENTBEFORE, SENTON, SENTSINCE, OLDER, YOUNGER) take the
 * store's set of each (Store.searchRange, `prepareRanges`) on the same terms as flag keys: `decide` answers them
 * from it (a SENT* key too: the store keeps each body's sent day, with the internal date standing in as `match`
 * does), `narrow` uses it, and they need no summary. These values never change for a UID, so the sets agree with
 * the summaries; the view and the UID list still say which messages are there. MODSEQ keeps the summary scan.
 */

import type { AddressHeaderName } from '../../../mail/search-text.js';
import { sentDay } from '../../../mail/sent-day.js';
import type { MessageSummary, RangeField, StoredMessage, Store } from '../../../store/types.js';
import { dayStartMs, sequenceSetContains, type SearchKey } from '../proto/index.js';
import { MessageFields } from './message-fields.js';
import type { MailboxView } from './mailbox-view.js';

const DAY_MS = 86_400_000;
const BATCH = 200;
/** View UIDs walked per batch of the summary-free scan (scanWithoutSummaries): one flag listing each. */
const SCAN_BATCH = 4096;
/** Summaries of decidable UIDs are read by UID range, each range narrower than this (rows held at once). */
const SPAN = 2048;
/** ... and a range read is split where two of its UIDs are further apart than this. */
const GAP = 64;
/** The full-text index (trigram) narrows only terms of at least three characters. */
const MIN_INDEXED_TERM = 3;
/**
 * The store's flag sets are read when the other keys leave at least one candidate per this many messages of the
 * view (or do not narrow): reading one costs about one scan of the mailbox, while the flag listing of sparser
 * candidates reads little more than the candidates themselves (`spans`, GAP).
 */
const FLAG_SET_DENSITY = GAP;

export interface SearchScope {
  store: Store;
  mailboxId: number;
  view: MailboxView;
  savedUids: readonly number[] | null;
  now?: number;
}

/** A message matching the key. */
export interface SearchMatch {
  seq: number;
  uid: number;
  /**
   * The message's summary; null when the match was decided without reading it. Never null when the key uses
   * MODSEQ (`usesModseq`: the summary scan reads modseqs) nor for runSearch with `withStored` (SearchHit).
   */
  summary: MessageSummary | null;
  stored: StoredMessage | null;
}

/** A match with its summary (runSearch with `withStored`, whose matches also have their stored row). */
export interface SearchHit extends SearchMatch {
  summary: MessageSummary;
}

type Cost = 0 | 1 | 2;

/** 0: summary only; 1: structure/headers; 2: body text. */
function costOf(k: SearchKey): Cost {
  switch (k.kind) {
    case 'header':
      return 1;
    case 'date':
      return k.field === 'sent' ? 1 : 0;
    case 'body':
    case 'text':
      return 2;
    case 'not':
      return costOf(k.key);
    case 'or':
      return Math.max(costOf(k.left), costOf(k.right)) as Cost;
    case 'and':
      return k.keys.reduce<Cost>((m, x) => Math.max(m, costOf(x)) as Cost, 0);
    default:
      return 0;
  }
}

/**
 * What a decidable evaluation (`decide`) reads of a message besides the view: nothing, its flags, or more of its
 * summary (size, internal date, modseq). Size and date keys answered from a store set (prepareRanges) read
 * nothing; without one, DATE keys count as 'summary' even for the sent date (then never decidable: its stored row
 * is read) to stay on the side of caution.
 */
type SummaryNeed = 0 | 1 | 2;
const NEED_NONE = 0;
const NEED_FLAGS = 1;
const NEED_SUMMARY = 2;

/**
 * What `k` reads besides the view; `covered`: whether a flag, size or date key is answered from a store set
 * (prepareFlags, prepareRanges).
 */
function summaryNeed(k: SearchKey, covered: (k: FlagKey | RangeKey) => boolean): SummaryNeed {
  switch (k.kind) {
    case 'flag':
      return covered(k) ? NEED_NONE : NEED_FLAGS;
    case 'size':
    case 'age':
    case 'date':
      return covered(k) ? NEED_NONE : NEED_SUMMARY;
    case 'modseq':
      return NEED_SUMMARY;
    case 'not':
      return summaryNeed(k.key, covered);
    case 'or':
      return Math.max(summaryNeed(k.left, covered), summaryNeed(k.right, covered)) as SummaryNeed;
    case 'and':
      return k.keys.reduce<SummaryNeed>((m, x) => Math.max(m, summaryNeed(x, covered)) as SummaryNeed, NEED_NONE);
    default:
      // all, recent, seq, uid: the view; header, body, text: the store's candidate sets, or the stored row.
      return NEED_NONE;
  }
}

export function usesModseq(k: SearchKey): boolean {
  if (k.kind === 'modseq') return true;
  if (k.kind === 'not') return usesModseq(k.key);
  if (k.kind === 'or') return usesModseq(k.left) || usesModseq(k.right);
  if (k.kind === 'and') return k.keys.some(usesModseq);
  return false;
}

type StoredHeaderKey = Extract<SearchKey, { kind: 'header' }>;
type TextKey = Extract<SearchKey, { kind: 'body' | 'text' }>;
type FlagKey = Extract<SearchKey, { kind: 'flag' }>;
/** Keys answered from Store.searchRange (prepareRanges). */
type RangeKey = Extract<SearchKey, { kind: 'size' | 'age' | 'date' }>;

const isRangeKey = (k: SearchKey): k is RangeKey => k.kind === 'size' || k.kind === 'age' || k.kind === 'date';
const isFlagKey = (k: SearchKey): k is FlagKey => k.kind === 'flag';
const isTextKey = (k: SearchKey): k is TextKey => k.kind === 'body' || k.kind === 'text';

/** The keys of the tree `k` (under NOT, OR and AND too) that `is` picks, in order. */
function keysWhere<K extends SearchKey>(k: SearchKey, is: (x: SearchKey) => x is K, out: K[] = []): K[] {
  if (is(k)) out.push(k);
  else if (k.kind === 'not') keysWhere(k.key, is, out);
  else if (k.kind === 'or') {
    keysWhere(k.left, is, out);
    keysWhere(k.right, is, out);
  } else if (k.kind === 'and') for (const x of k.keys) keysWhere(x, is, out);
  return out;
}

/**
 * The Store.searchRange query whose UIDs are those `decide`/`match` accept for `k` ([min, max)). Sizes, internal
 * dates and `now` are whole numbers, so `size > n` is `size >= n + 1`, OLDER's `(now - t) / 1000 >= s` is
 * `t <= now - 1000 s` and YOUNGER's `<= s` is `t >= now - 1000 s`. Days as compareDay: [dayStartMs, + DAY_MS).
 */
function rangeOf(k: RangeKey, now: number): { field: RangeField; min: number | null; max: number | null } {
  switch (k.kind) {
    case 'size':
      return k.op === 'larger' ? { field: 'size', min: k.size + 1, max: null } : { field: 'size', min: null, max: k.size };
    case 'age': {
      const edge = now - k.seconds * 1000;
      return k.op === 'older'
        ? { field: 'internalDate', min: null, max: Math.floor(edge) + 1 }
        : { field: 'internalDate', min: Math.ceil(edge), max: null };
    }
    case 'date': {
      const field = k.field === 'internal' ? 'internalDate' : 'sentDate';
      const start = dayStartMs(k.day);
      if (k.op === 'before') return { field, min: null, max: start };
      if (k.op === 'since') return { field, min: start, max: null };
      return { field, min: start, max: start + DAY_MS };
    }
  }
}

/** Header keys whose decoded values the store keeps per body (Store.searchSubject, Store.searchHeader). */
const STORED_HEADER_FIELDS = new Set(['subject', 'from', 'to', 'cc', 'bcc']);

/** SUBJECT, FROM, TO, CC, BCC (or HEADER with one of those names): answered from the store's sure/maybe sets. */
function isStoredHeaderKey(k: SearchKey): k is StoredHeaderKey {
  return k.kind === 'header' && STORED_HEADER_FIELDS.has(k.field.toLowerCase());
}

function compareDay(t: number, day: { year: number; month: number; day: number }, op: 'before' | 'on' | 'since'): boolean {
  const start = dayStartMs(day);
  if (op === 'before') return t < start;
  if (op === 'since') return t >= start;
  return t >= start && t < start + DAY_MS;
}

function includesCi(hay: string, needle: string): boolean {
  return hay.toLowerCase().includes(needle.toLowerCase());
}

class Evaluator {
  private readonly candidates = new Map<SearchKey, Set<number>>();
  /**
   * Per SUBJECT/FROM/TO/CC/BCC key, the store's exact matches and the candidates that need the check
   * (Store.searchSubject, Store.searchHeader).
   */
  private readonly headerMatches = new Map<SearchKey, { sure: Set<number>; maybe: Set<number> }>();
  /** narrow's index candidates of other HEADER keys, kept so that narrow can run again (after prepareFlags). */
  private readonly headerCandidates = new Map<SearchKey, Set<number>>();
  /**
   * Per flag, lower-cased (RFC 3501 §2.3.2: flags compare case-insensitively, as `decide` does), the store's UIDs
   * (Store.searchFlag) with the flag (`has`), or for \Seen those without it (the unseen: usually the fewer, and
   * read from an index).
   */
  private readonly flagSets = new Map<string, { has: boolean; uids: Set<number> }>();
  /** Per size or date key, the store's UIDs matching it (Store.searchRange, prepareRanges). */
  private readonly rangeSets = new Map<SearchKey, Set<number>>();
  private readonly maxUid: number;
  private readonly saved: Set<number>;
  private readonly now: number;

  constructor(private readonly scope: SearchScope) {
    this.maxUid = scope.view.lastUid;
    this.saved = new Set(scope.savedUids ?? []);
    this.now = scope.now ?? Date.now();
  }

  async prepare(key: SearchKey): Promise<void> {
    for (const k of keysWhere(key, isTextKey)) {
      if (k.value === '') continue;
      const uids = await this.scope.store.searchText(this.scope.mailboxId, [k.value], k.kind);
      this.candidates.set(k, new Set(uids));
    }
    for (const k of keysWhere(key, isStoredHeaderKey)) {
      const field = k.field.toLowerCase();
      const r =
        field === 'subject'
          ? await this.scope.store.searchSubject(this.scope.mailboxId, k.value)
          : await this.scope.store.searchHeader(this.scope.mailboxId, field as AddressHeaderName, k.value);
      this.headerMatches.set(k, { sure: new Set(r.sure), maybe: new Set(r.maybe) });
    }
  }

  /** Whether `key` holds a flag key (SEEN, KEYWORD x, ...: search-ast's 'flag'). */
  hasFlagKeys(key: SearchKey): boolean {
    return keysWhere(key, isFlagKey).length > 0;
  }

  /** Reads the store's set of every flag of `key` (see flagSets). */
  async prepareFlags(key: SearchKey): Promise<void> {
    for (const k of keysWhere(key, isFlagKey)) {
      const lower = k.flag.toLowerCase();
      if (this.flagSets.has(lower)) continue;
      const has = lower !== '\\seen';
      const uids = await this.scope.store.searchFlag(this.scope.mailboxId, k.flag, has);
      this.flagSets.set(lower, { has, uids: new Set(uids) });
    }
  }

  /** Whether `key` holds a size or date key (LARGER, SINCE, SENTON, OLDER, ...: search-ast's 'size', 'date', 'age'). */
  hasRangeKeys(key: SearchKey): boolean {
    return keysWhere(key, isRangeKey).length > 0;
  }

  /** Reads the store's set of every size and date key of `key` (see rangeSets). */
  async prepareRanges(key: SearchKey): Promise<void> {
    for (const k of keysWhere(key, isRangeKey)) {
      if (this.rangeSets.has(k)) continue;
      const r = rangeOf(k, this.now);
      this.rangeSets.set(k, new Set(await this.scope.store.searchRange(this.scope.mailboxId, r.field, r.min, r.max)));
    }
  }

  /** Whether the flag, size or date key `k` is answered from the store's sets (prepareFlags, prepareRanges). */
  readonly covered = (k: FlagKey | RangeKey): boolean =>
    k.kind === 'flag' ? this.flagSets.has(k.flag.toLowerCase()) : this.rangeSets.has(k);

  /** The store's UIDs matching `k` (with the flag when `k.present`, else without), when its flag set holds them. */
  private flagMatches(k: FlagKey, present: boolean): Set<number> | null {
    const set = this.flagSets.get(k.flag.toLowerCase());
    return set !== undefined && set.has === present ? set.uids : null;
  }

  /**
   * Whether `k` is answered for `uid` from its summary alone (match with no MessageFields gives the exact answer):
   * summary keys, SUBJECT on a UID the store is sure of or does not list, BODY/TEXT with an empty value or on a UID
   * the full-text index does not list, and NOT/OR/AND of those.
   */
  decidable(k: SearchKey, uid: number): boolean {
    switch (k.kind) {
      case 'all':
      case 'flag':
      case 'recent':
      case 'size':
      case 'age':
      case 'seq':
      case 'uid':
      case 'modseq':
        return true;
      case 'date':
        return k.field === 'internal' || this.rangeSets.has(k);
      case 'header': {
        const s = this.headerMatches.get(k);
        return s !== undefined && !s.maybe.has(uid);
      }
      case 'body':
      case 'text': {
        const cand = this.candidates.get(k);
        return k.value === '' || (cand !== undefined && !cand.has(uid));
      }
      case 'not':
        return this.decidable(k.key, uid);
      case 'or':
        return this.decidable(k.left, uid) && this.decidable(k.right, uid);
      case 'and':
        return k.keys.every((x) => this.decidable(x, uid));
    }
  }

  /**
   * UIDs that can match `k` (a superset), or null when any message can. BODY/TEXT use the full-text
   * candidates; SUBJECT, FROM, TO, CC and BCC (also as HEADER keys) the store's decoded values of those fields
   * (Store.searchSubject, Store.searchHeader); another HEADER key with a value of three or more characters uses the index's
   * TEXT candidates too: the indexed header text holds every top-level field as "Name: decoded value"
   * (mail/search-text.ts), the same decoding `MessageFields.header` applies, and the store adds messages whose
   * per-recipient prefix holds the value and bodies never indexed. The exact match still runs on every candidate.
   * A flag key (or NOT of one) whose store set holds its matches (prepareFlags) gives that set.
   */
  async narrow(k: SearchKey): Promise<Set<number> | null> {
    switch (k.kind) {
      case 'body':
      case 'text':
        return this.candidates.get(k) ?? null;
      case 'header': {
        // SUBJECT, FROM, TO, CC, BCC: the store's decoded values (one scan of short texts: faster than the index,
        // any length).
        const subj = this.headerMatches.get(k);
        if (subj) return new Set([...subj.sure, ...subj.maybe]);
        if ([...k.value].length < MIN_INDEXED_TERM) return null;
        let cand = this.headerCandidates.get(k);
        if (cand === undefined) {
          cand = new Set(await this.scope.store.searchText(this.scope.mailboxId, [k.value], 'text'));
          this.headerCandidates.set(k, cand);
        }
        return cand;
      }
      case 'flag':
        // The store's flag set, when it holds the matches (UNSEEN: the unseen; FLAGGED: the flagged).
        return this.flagMatches(k, k.present);
      case 'size':
      case 'age':
      case 'date':
        return this.rangeSets.get(k) ?? null;
      case 'not':
        return k.key.kind === 'flag' ? this.flagMatches(k.key, !k.key.present) : null;
      case 'and': {
        let acc: Set<number> | null = null;
        for (const x of k.keys) {
          const c = await this.narrow(x);
          if (c === null) continue;
          if (acc === null) acc = c;
          else {
            const both = new Set<number>();
            for (const u of acc) if (c.has(u)) both.add(u);
            acc = both;
          }
        }
        return acc;
      }
      case 'or': {
        const l = await this.narrow(k.left);
        if (l === null) return null;
        const r = await this.narrow(k.right);
        if (r === null) return null;
        return new Set([...l, ...r]);
      }
      default:
        return null;
    }
  }

  /**
   * The answer for a message whose whole key is decidable here (`decidable`), without awaiting: what `match` gives
   * with no MessageFields. `flags` are its flags (may be null when summaryNeed(k) is NEED_NONE) and `m` its summary
   * (may be null unless it is NEED_SUMMARY); a key that reads a missing one throws (a bug, never a silent answer).
   */
  decide(k: SearchKey, seq: number, uid: number, flags: readonly string[] | null, m: MessageSummary | null): boolean {
    switch (k.kind) {
      case 'all':
        return true;
      case 'flag': {
        const f = k.flag.toLowerCase();
        const set = this.flagSets.get(f);
        if (set !== undefined) return (set.has ? set.uids.has(uid) : !set.uids.has(uid)) === k.present;
        return loaded(flags).some((x) => x.toLowerCase() === f) === k.present;
      }
      case 'recent':
        return this.scope.view.isRecent(uid) === k.present; // RFC 3501 §6.4.4 RECENT / OLD (NEW: RECENT UNSEEN)
      case 'size': {
        const set = this.rangeSets.get(k);
        if (set !== undefined) return set.has(uid);
        return k.op === 'larger' ? loaded(m).size > k.size : loaded(m).size < k.size;
      }
      case 'age': {
        const set = this.rangeSets.get(k);
        if (set !== undefined) return set.has(uid);
        const age = (this.now - loaded(m).internalDate.getTime()) / 1000;
        return k.op === 'older' ? age >= k.seconds : age <= k.seconds;
      }
      case 'seq':
        return k.set.kind === 'saved' ? this.saved.has(uid) : sequenceSetContains(k.set, seq, this.scope.view.exists);
      case 'uid':
        return k.set.kind === 'saved' ? this.saved.has(uid) : sequenceSetContains(k.set, uid, this.maxUid);
      case 'modseq':
        return loaded(m).modseq >= k.modseq;
      case 'date': {
        // The store's set; a SENT* key's set holds each message's sent day, or its internal date as `match` falls back.
        const set = this.rangeSets.get(k);
        if (set !== undefined) return set.has(uid);
        // The sent date without the message's fields falls back to the internal date (as `match` does).
        return compareDay(loaded(m).internalDate.getTime(), k.day, k.op);
      }
      case 'header': {
        // The store's sure matches are exact, and a UID it does not list cannot match (Store.searchSubject).
        const subj = this.headerMatches.get(k);
        return subj !== undefined && !subj.maybe.has(uid) && subj.sure.has(uid);
      }
      case 'body':
      case 'text':
        // RFC 9051 §6.4.4: an empty string matches every message; otherwise only a checked candidate can.
        return k.value === '';
      case 'not':
        return !this.decide(k.key, seq, uid, flags, m);
      case 'or':
        return this.decide(k.left, seq, uid, flags, m) || this.decide(k.right, seq, uid, flags, m);
      case 'and':
        return k.keys.every((x) => this.decide(x, seq, uid, flags, m));
    }
  }

  /** Whether the message of `h` (with its fields when they were read) matches `k`. */
  async match(k: SearchKey, h: SearchMatch, fields: MessageFields | null): Promise<boolean> {
    switch (k.kind) {
      case 'date': {
        if (k.field === 'internal' || !fields || this.rangeSets.has(k)) break;
        const d = sentDay(fields.msg.structure.envelope.date);
        // No usable Date header: fall back to the internal date (as Dovecot does).
        const t = d ? Date.UTC(d.year, d.month - 1, d.day) : loaded(h.summary).internalDate.getTime();
        return compareDay(t, k.day, k.op);
      }
      case 'header': {
        const subj = this.headerMatches.get(k);
        if (!fields || (subj && !subj.maybe.has(h.uid))) break;
        const values = await fields.header(k.field);
        if (!values.length) return false;
        // RFC 9051 §6.4.4: an empty string matches every message that has the field.
        return k.value === '' || values.some((v) => includesCi(v, k.value));
      }
      case 'body':
      case 'text': {
        if (k.value === '') return true;
        const cand = this.candidates.get(k);
        if (cand && !cand.has(h.uid)) return false;
        if (!fields) return false;
        const t = await fields.decodedText();
        if (includesCi(t.body, k.value)) return true;
        return k.kind === 'text' && includesCi(t.headers, k.value);
      }
      case 'not':
        return !(await this.match(k.key, h, fields));
      case 'or':
        return (await this.match(k.left, h, fields)) || (await this.match(k.right, h, fields));
      case 'and': {
        // Cheap keys first so expensive ones run on fewer messages.
        const sorted = [...k.keys].sort((a, b) => costOf(a) - costOf(b));
        for (const x of sorted) if (!(await this.match(x, h, fields))) return false;
        return true;
      }
      default:
        break;
    }
    return this.decide(k, h.seq, h.uid, h.summary?.flags ?? null, h.summary);
  }
}

function loaded<T>(v: T | null): T {
  if (v === null) throw new Error('search: a key read a message field that was not loaded');
  return v;
}

/**
 * Ascending UIDs in groups for one range read each: a group's first and last differ by less than SPAN (rows held
 * at once) and neighbours by at most GAP, so sparse UIDs do not read the summaries of the messages between them.
 */
function* spans(uids: readonly number[]): Generator<number[]> {
  for (let i = 0; i < uids.length; ) {
    let j = i + 1;
    while (j < uids.length && uids[j]! - uids[i]! < SPAN && uids[j]! - uids[j - 1]! <= GAP) j++;
    yield uids.slice(i, j);
    i = j;
  }
}

/** One message of a Store.listFlagText listing: its UID and the rest of its line (`code keywords`). */
interface FlagLine {
  uid: number;
  rest: string;
}

function flagLines(text: string): FlagLine[] {
  if (text === '') return [];
  return text.split('\n').map((line) => {
    const sp = line.indexOf(' ');
    return { uid: Number(line.slice(0, sp)), rest: line.slice(sp + 1) };
  });
}

/**
 * The scan of a key that reads at most the flags (summaryNeed below NEED_SUMMARY), without `withStored`, over `uids` (ascending
 * UIDs of the view: all of them when `dense`, or the index's candidates), SCAN_BATCH at a time. Decidable UIDs
 * are kept when still in the store (its UID list, or a flag listing by UID range: the set listMessages would
 * give, so a message expunged by another session but not yet announced is left out as before) and answered
 * synchronously without any summary. The rows of the others are read and checked as in the summary scan
 * (their matches carry the row as summary and stored; a row gone is no match). A listing covers one batch of
 * the whole view, or a `spans` group of candidates (not the messages between sparse ones).
 */
async function scanWithoutSummaries(
  scope: SearchScope,
  ev: Evaluator,
  key: SearchKey,
  need: SummaryNeed,
  uids: ArrayLike<number>,
  dense: boolean,
  readStored: (uids: number[]) => Promise<Map<number, StoredMessage>>,
): Promise<SearchMatch[]> {
  const view = scope.view;
  const out: SearchMatch[] = [];
  const decided = (uid: number, flags: readonly string[] | null): void => {
    const seq = view.seqOf(uid);
    if (ev.decide(key, seq, uid, flags, null)) out.push({ seq, uid, summary: null, stored: null });
  };
  const storeUids = need === NEED_NONE ? await scope.store.getMailboxUids(scope.mailboxId) : null;
  let p = 0; // cursor into storeUids; it ascends as `uids` does
  for (let i = 0; i < uids.length; i += SCAN_BATCH) {
    const easy: number[] = [];
    const hard: number[] = [];
    for (let j = i; j < Math.min(i + SCAN_BATCH, uids.length); j++) (ev.decidable(key, uids[j]!) ? easy : hard).push(uids[j]!);
    if (storeUids !== null) {
      for (const uid of easy) {
        while (p < storeUids.length && storeUids[p]! < uid) p++;
        if (p < storeUids.length && storeUids[p] === uid) decided(uid, null);
      }
    } else {
      for (const group of dense ? [easy] : spans(easy)) {
        if (group.length === 0) continue;
        const listing = await scope.store.listFlagText(scope.mailboxId, { uidFrom: group[0]!, uidTo: group[group.length - 1]! }, { modseq: false });
        const lines = flagLines(listing.text);
        const sysFlags = listing.systemFlags.map((f) => (f === '' ? [] : f.split(' ')));
        let q = 0;
        for (const uid of group) {
          while (q < lines.length && lines[q]!.uid < uid) q++;
          const line = lines[q];
          if (line === undefined || line.uid !== uid) continue;
          const sp = line.rest.indexOf(' ');
          const sys = sysFlags[Number(sp < 0 ? line.rest : line.rest.slice(0, sp))] ?? [];
          const keywords = sp < 0 ? '' : line.rest.slice(sp + 1);
          decided(uid, keywords === '' ? sys : [...sys, ...keywords.split(' ')]);
        }
      }
    }
    for (const st of (await readStored(hard)).values()) {
      const h: SearchMatch = { seq: view.seqOf(st.uid), uid: st.uid, summary: st, stored: st };
      if (await ev.match(key, h, new MessageFields(scope.store.blobs, st))) out.push(h);
    }
  }
  return out;
}

/**
 * The messages of the view matching `key`, in sequence order. `withStored` also loads StoredMessage rows (and
 * every match has its summary); without it a match may lack its summary (SearchMatch), never when the key uses
 * MODSEQ.
 */
export function runSearch(scope: SearchScope, key: SearchKey, opts: { withStored: true }): Promise<SearchHit[]>;
export function runSearch(scope: SearchScope, key: SearchKey, opts?: { withStored?: boolean }): Promise<SearchMatch[]>;
export async function runSearch(scope: SearchScope, key: SearchKey, opts: { withStored?: boolean } = {}): Promise<SearchMatch[]> {
  const ev = new Evaluator(scope);
  await ev.prepare(key);
  const withStored = opts.withStored === true;
  const needStored = withStored || costOf(key) > 0;
  const view = scope.view;
  let hits: SearchMatch[] = [];
  // Hits decided from summaries alone, whose rows `withStored` still has to load.
  const bare: SearchHit[] = [];
  const evaluate = async (s: MessageSummary, st: StoredMessage): Promise<void> => {
    const h: SearchHit = { seq: view.seqOf(s.uid), uid: s.uid, summary: s, stored: st };
    if (await ev.match(key, h, new MessageFields(scope.store.blobs, st))) hits.push(h);
  };
  // A decidable UID: answered synchronously from its summary (an await per message and key node adds up).
  const decided = (s: MessageSummary): void => {
    const seq = view.seqOf(s.uid);
    if (ev.decide(key, seq, s.uid, s.flags, s)) (withStored ? bare : hits).push({ seq, uid: s.uid, summary: s, stored: null });
  };
  const readStored = async (uids: number[]): Promise<Map<number, StoredMessage>> => {
    const out = new Map<number, StoredMessage>();
    for (let i = 0; i < uids.length; i += BATCH) {
      for (const st of await scope.store.getMessages(scope.mailboxId, uids.slice(i, i + BATCH))) out.set(st.uid, st);
    }
    return out;
  };
  let narrowed = await ev.narrow(key);
  if (!withStored && (ev.hasFlagKeys(key) || ev.hasRangeKeys(key)) && (narrowed === null || narrowed.size * FLAG_SET_DENSITY >= view.exists)) {
    // Flag, size or date keys that would read the flags or summaries of (nearly) the whole view: the store's sets
    // instead, which may narrow the search too.
    await ev.prepareFlags(key);
    await ev.prepareRanges(key);
    narrowed = await ev.narrow(key);
  }
  const need = summaryNeed(key, ev.covered);
  if (!withStored && need !== NEED_SUMMARY) {
    // No summary field is read: the view's UIDs (or the index's candidates among them), the store's UID list or
    // flag listing, and the rows of the messages that need the exact check.
    const uids = narrowed === null ? view.uidList : [...narrowed].filter((u) => view.seqOf(u) > 0).sort((a, b) => a - b);
    hits = await scanWithoutSummaries(scope, ev, key, need, uids, narrowed === null, readStored);
  } else if (narrowed !== null) {
    // Only the index's candidates can match: read just their rows (expunged ones come back missing), or only
    // their summaries when the key is decidable without them.
    const uids = [...narrowed].filter((u) => view.seqOf(u) > 0).sort((a, b) => a - b);
    const easy: number[] = [];
    const hard: number[] = [];
    for (const u of uids) (ev.decidable(key, u) ? easy : hard).push(u);
    for (let i = 0; i < hard.length; i += BATCH) {
      for (const st of (await readStored(hard.slice(i, i + BATCH))).values()) await evaluate(st, st);
    }
    for (const group of spans(easy)) {
      const want = new Set(group);
      const rows = await scope.store.listMessages(scope.mailboxId, { uidFrom: group[0]!, uidTo: group[group.length - 1]! });
      for (const s of rows) if (want.has(s.uid)) decided(s);
    }
  } else {
    const summaries = (await scope.store.listMessages(scope.mailboxId)).filter((s) => view.seqOf(s.uid) > 0);
    for (let i = 0; i < summaries.length; i += BATCH) {
      const chunk = summaries.slice(i, i + BATCH);
      const easy = new Set<number>();
      for (const s of chunk) if (ev.decidable(key, s.uid)) easy.add(s.uid);
      const stored = needStored ? await readStored(chunk.filter((s) => !easy.has(s.uid)).map((s) => s.uid)) : null;
      for (const s of chunk) {
        if (easy.has(s.uid)) {
          decided(s);
          continue;
        }
        // An undecidable key reads a header, sent date or body (costOf > 0), so `stored` was read; a row gone
        // meanwhile is no match.
        const st = stored?.get(s.uid) ?? null;
        if (st) await evaluate(s, st);
      }
    }
  }
  if (bare.length > 0) {
    // withStored: the rows of the hits decided without them (a row gone meanwhile drops the hit, as before).
    for (let i = 0; i < bare.length; i += BATCH) {
      const batch = bare.slice(i, i + BATCH);
      const stored = await readStored(batch.map((h) => h.uid));
      for (const h of batch) {
        const st = stored.get(h.uid);
        if (st) hits.push({ ...h, stored: st });
      }
    }
  }
  return hits.sort((a, b) => a.uid - b.uid);
}
