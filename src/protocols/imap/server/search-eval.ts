/**
 * SEARCH evaluation (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162 MODSEQ, RFC 5032 OLDER/YOUNGER, RFC 5182 `$`)
 * over the selected mailbox. Cheap keys (flags, sizes, dates, sets, modseq) use the summaries; header and
 * sent-date keys read the cached structure and header bytes; BODY/TEXT first take the candidates of the
 * store's full-text index (a superset) and then confirm the exact case-insensitive substring on the
 * decoded text; SUBJECT takes its candidates from the store's decoded subjects. When the index bounds the possible
 * matches (BODY, TEXT, SUBJECT or another header key, see `narrow`), only
 * those candidates are read. The store tells SUBJECT matches that are exact ("sure") from those that need the
 * check: a message whose whole key is decidable (`decidable`: summary-only keys, SUBJECT/HEADER SUBJECT on a sure
 * or non-candidate UID, and NOT/OR/AND of those) is answered from its summary (a UID range read) without its stored
 * row or blob; the others are read and checked as before, and `withStored` still loads the rows of the hits.
 * Messages are processed in batches so memory stays bounded. \Recent is never set here.
 */

import type { MessageSummary, StoredMessage, Store } from '../../../store/types.js';
import { dayStartMs, sequenceSetContains, type SearchKey } from '../proto/index.js';
import { MessageFields, sentDay } from './message-fields.js';
import type { MailboxView } from './mailbox-view.js';

const DAY_MS = 86_400_000;
const BATCH = 200;
/** Summaries of decidable UIDs are read by UID range, each range narrower than this (rows held at once). */
const SPAN = 2048;
/** ... and a range read is split where two of its UIDs are further apart than this. */
const GAP = 64;
/** The full-text index (trigram) narrows only terms of at least three characters. */
const MIN_INDEXED_TERM = 3;

export interface SearchScope {
  store: Store;
  mailboxId: number;
  view: MailboxView;
  savedUids: readonly number[] | null;
  now?: number;
}

export interface SearchHit {
  seq: number;
  uid: number;
  summary: MessageSummary;
  stored: StoredMessage | null;
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

export function usesModseq(k: SearchKey): boolean {
  if (k.kind === 'modseq') return true;
  if (k.kind === 'not') return usesModseq(k.key);
  if (k.kind === 'or') return usesModseq(k.left) || usesModseq(k.right);
  if (k.kind === 'and') return k.keys.some(usesModseq);
  return false;
}

type SubjectKey = Extract<SearchKey, { kind: 'header' }>;

function isSubjectKey(k: SearchKey): k is SubjectKey {
  return k.kind === 'header' && k.field.toLowerCase() === 'subject';
}

function collectSubjectKeys(k: SearchKey, out: SubjectKey[]): void {
  if (isSubjectKey(k)) out.push(k);
  else if (k.kind === 'not') collectSubjectKeys(k.key, out);
  else if (k.kind === 'or') {
    collectSubjectKeys(k.left, out);
    collectSubjectKeys(k.right, out);
  } else if (k.kind === 'and') for (const x of k.keys) collectSubjectKeys(x, out);
}

function collectTextKeys(k: SearchKey, out: Array<Extract<SearchKey, { kind: 'body' | 'text' }>>): void {
  if (k.kind === 'body' || k.kind === 'text') out.push(k);
  else if (k.kind === 'not') collectTextKeys(k.key, out);
  else if (k.kind === 'or') {
    collectTextKeys(k.left, out);
    collectTextKeys(k.right, out);
  } else if (k.kind === 'and') for (const x of k.keys) collectTextKeys(x, out);
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
  /** Per SUBJECT key, the store's exact matches and the candidates that need the check (Store.searchSubject). */
  private readonly subjects = new Map<SearchKey, { sure: Set<number>; maybe: Set<number> }>();
  private readonly maxUid: number;
  private readonly saved: Set<number>;
  private readonly now: number;

  constructor(private readonly scope: SearchScope) {
    this.maxUid = scope.view.lastUid;
    this.saved = new Set(scope.savedUids ?? []);
    this.now = scope.now ?? Date.now();
  }

  async prepare(key: SearchKey): Promise<void> {
    const keys: Array<Extract<SearchKey, { kind: 'body' | 'text' }>> = [];
    collectTextKeys(key, keys);
    for (const k of keys) {
      if (k.value === '') continue;
      const uids = await this.scope.store.searchText(this.scope.mailboxId, [k.value], k.kind);
      this.candidates.set(k, new Set(uids));
    }
    const subjectKeys: SubjectKey[] = [];
    collectSubjectKeys(key, subjectKeys);
    for (const k of subjectKeys) {
      const r = await this.scope.store.searchSubject(this.scope.mailboxId, k.value);
      this.subjects.set(k, { sure: new Set(r.sure), maybe: new Set(r.maybe) });
    }
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
        return k.field === 'internal';
      case 'header': {
        const s = this.subjects.get(k);
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
   * candidates; SUBJECT (and HEADER SUBJECT) the store's decoded subjects (Store.searchSubject); another
   * HEADER key (FROM, TO, ...) with a value of three or more characters uses the index's
   * TEXT candidates too: the indexed header text holds every top-level field as "Name: decoded value"
   * (mail/search-text.ts), the same decoding `MessageFields.header` applies, and the store adds messages whose
   * per-recipient prefix holds the value and bodies never indexed. The exact match still runs on every candidate.
   */
  async narrow(k: SearchKey): Promise<Set<number> | null> {
    switch (k.kind) {
      case 'body':
      case 'text':
        return this.candidates.get(k) ?? null;
      case 'header': {
        // SUBJECT: the store's decoded subjects (one scan of short texts: faster than the index, any length).
        const subj = this.subjects.get(k);
        if (subj) return new Set([...subj.sure, ...subj.maybe]);
        if ([...k.value].length < MIN_INDEXED_TERM) return null;
        const uids = await this.scope.store.searchText(this.scope.mailboxId, [k.value], 'text');
        return new Set(uids);
      }
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

  async match(k: SearchKey, h: SearchHit, fields: MessageFields | null): Promise<boolean> {
    const m = h.summary;
    switch (k.kind) {
      case 'all':
        return true;
      case 'flag': {
        const f = k.flag.toLowerCase();
        return m.flags.some((x) => x.toLowerCase() === f) === k.present;
      }
      case 'recent':
        return this.scope.view.isRecent(h.uid) === k.present; // RFC 3501 §6.4.4 RECENT / OLD (NEW: RECENT UNSEEN)
      case 'size':
        return k.op === 'larger' ? m.size > k.size : m.size < k.size;
      case 'age': {
        const age = (this.now - m.internalDate.getTime()) / 1000;
        return k.op === 'older' ? age >= k.seconds : age <= k.seconds;
      }
      case 'seq':
        return k.set.kind === 'saved' ? this.saved.has(h.uid) : sequenceSetContains(k.set, h.seq, this.scope.view.exists);
      case 'uid':
        return k.set.kind === 'saved' ? this.saved.has(h.uid) : sequenceSetContains(k.set, h.uid, this.maxUid);
      case 'modseq':
        return m.modseq >= k.modseq;
      case 'date': {
        if (k.field === 'internal') return compareDay(m.internalDate.getTime(), k.day, k.op);
        const d = fields ? sentDay(fields.msg.structure.envelope.date) : null;
        // No usable Date header: fall back to the internal date (as Dovecot does).
        const t = d ? Date.UTC(d.year, d.month - 1, d.day) : m.internalDate.getTime();
        return compareDay(t, k.day, k.op);
      }
      case 'header': {
        // The store's sure matches are exact, and a UID it does not list cannot match (Store.searchSubject).
        const subj = this.subjects.get(k);
        if (subj && !subj.maybe.has(h.uid)) return subj.sure.has(h.uid);
        if (!fields) return false;
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
    }
  }
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

/** The messages of the view matching `key`, in sequence order. `withStored` also loads StoredMessage rows. */
export async function runSearch(scope: SearchScope, key: SearchKey, opts: { withStored?: boolean } = {}): Promise<SearchHit[]> {
  const ev = new Evaluator(scope);
  await ev.prepare(key);
  const withStored = opts.withStored === true;
  const needStored = withStored || costOf(key) > 0;
  const view = scope.view;
  const hits: SearchHit[] = [];
  // Hits decided from summaries alone, whose rows `withStored` still has to load.
  const bare: SearchHit[] = [];
  const evaluate = async (s: MessageSummary, st: StoredMessage | null): Promise<void> => {
    const h: SearchHit = { seq: view.seqOf(s.uid), uid: s.uid, summary: s, stored: st };
    const fields = st ? new MessageFields(scope.store.blobs, st) : null;
    if (await ev.match(key, h, fields)) (withStored && !st ? bare : hits).push(h);
  };
  const readStored = async (uids: number[]): Promise<Map<number, StoredMessage>> => {
    const out = new Map<number, StoredMessage>();
    for (let i = 0; i < uids.length; i += BATCH) {
      for (const st of await scope.store.getMessages(scope.mailboxId, uids.slice(i, i + BATCH))) out.set(st.uid, st);
    }
    return out;
  };
  const narrowed = await ev.narrow(key);
  if (narrowed !== null) {
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
      for (const s of rows) if (want.has(s.uid)) await evaluate(s, null);
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
          await evaluate(s, null);
          continue;
        }
        const st = stored?.get(s.uid) ?? null;
        if (needStored && !st) continue;
        await evaluate(s, st);
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
