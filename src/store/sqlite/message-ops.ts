/**
 * Messages on SQLite: delivery, listing, flags, expunge, copy/move, QRESYNC tombstones, full-text
 * candidates and SEARCH's subject, flag, size and date sets. Synchronous; SqliteStore runs each call in one
 * transaction (deliver/append inside a group commit, each in its own savepoint) and publishes the collected change
 * events after the commit.
 *
 * Invariants: a mailbox's uid_next and highest_modseq only grow; every new message, flag change and expunge
 * takes a fresh modseq from its mailbox (RFC 7162 §3.1); expunged UIDs leave a tombstone with the expunge
 * modseq (RFC 7162 §3.2.5.1 VANISHED). One bodies row per distinct blob.
 */

import { StoreError } from '../../lib/errors.js';
import { sortKeysOf, type SortKeys } from '../../mail/sort-keys.js';
import type { AddressHeaderName } from '../../mail/search-text.js';
import { sentDayMs } from '../../mail/sent-day.js';
import type { Envelope, MessageStructure } from '../../mail/structure.js';
import type {
  BodyCacheEntry,
  BodyCacheSummary,
  BodyInput,
  CachedTextRow,
  CopyResult,
  DeliveryResult,
  DeliveryTarget,
  EnvelopeSummary,
  LinePart,
  MailboxIndex,
  FlagListing,
  FlagOperation,
  FlagRow,
  FlagUpdate,
  MailboxChange,
  MessageSummary,
  NumericSortKeyName,
  RangeField,
  SortKeyName,
  SortKeyRow,
  StoredMessage,
  StoreFlagsResult,
} from '../types.js';
import { applyFlagOperation, DELETED, flagsToList, keywordsFromColumn, keywordsToColumn, parseFlags, SEEN } from './flags.js';
import type { MailboxOps } from './mailbox-ops.js';
import { INSERT_HEADER_TEXTS, INSERT_SENT_DAY, INSERT_SORT_KEYS, insertSortKeys } from './migrations.js';
import type { Statements } from './statements.js';

/** The system flags of each sys_flags value (five bits) as IMAP text, for FlagListing. */
const SYSTEM_FLAG_TEXTS: readonly string[] = Array.from({ length: 32 }, (_, bits) => flagsToList(bits, '').join(' '));

/** SQL for the flag text of a row (flagsToList joined by spaces): system flags by a 32-arm CASE, then keywords. */
const SYSTEM_FLAGS_SQL = `CASE sys_flags & 31 ${SYSTEM_FLAG_TEXTS.map((t, bits) => `WHEN ${bits} THEN '${t.replace(/'/g, "''")}'`).join(' ')} END`;
const FLAGS_SQL = `CASE WHEN keywords = '' THEN ${SYSTEM_FLAGS_SQL} WHEN sys_flags & 31 = 0 THEN keywords ELSE ${SYSTEM_FLAGS_SQL} || ' ' || keywords END`;

const BLOB_ID_RE = /^[0-9a-f]{64}$/;
const EMPTY = Buffer.alloc(0);
/** Trigram FTS can only match terms of at least three characters. */
const MIN_FTS_TERM = 3;
/** searchFlag reads the keywords of every message with keywords once a mailbox has more distinct keyword lists. */
const MAX_KEYWORD_COLUMNS = 256;

type SummaryRaw = [uid: number, modseq: number, sys: number, keywords: string, internalDate: number, size: number];
type EnvelopeRaw = [...SummaryRaw, envelope: string | null, structure: string | null];
type BodyCacheRaw = [
  ...SummaryRaw,
  envelopeText: string | null,
  bodyStructure: string | null,
  body: string | null,
  envelope: string | null,
  structure: string | null,
];

/** The SQL expression of each sort key over `messages m LEFT JOIN body_sort_keys k` (migration 4). */
const SORT_KEY_SQL: Record<SortKeyName, string> = {
  arrival: 'm.internal_date',
  // RFC 5256 §3 DATE: the sent date, else the internal date
  date: 'coalesce(k.sent_date, m.internal_date)',
  size: 'm.size',
  subject: 'k.subject',
  from: 'k.from_mailbox',
  to: 'k.to_mailbox',
  cc: 'k.cc_mailbox',
  displayfrom: 'k.display_from',
  displayto: 'k.display_to',
};
const SORT_KEY_FIELD: Partial<Record<SortKeyName, Exclude<keyof SortKeys, 'sentDate'>>> = {
  subject: 'subject',
  from: 'from',
  to: 'to',
  cc: 'cc',
  displayfrom: 'displayFrom',
  displayto: 'displayTo',
};

interface FullRow {
  mailbox_id: number;
  uid: number;
  modseq: number;
  sys_flags: number;
  keywords: string;
  internal_date: number;
  size: number;
  prefix: string;
  blob_id: string;
  structure: string;
}

interface CopySource {
  uid: number;
  sys_flags: number;
  keywords: string;
  internal_date: number;
  size: number;
  body_id: number;
  prefix: string;
}

function checkUids(uids: readonly number[]): void {
  for (const u of uids) {
    if (!Number.isSafeInteger(u) || u < 1) throw new StoreError('invalid', `bad UID ${u}`);
  }
}

function checkDate(d: Date): number {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new StoreError('invalid', 'invalid internal date');
  return t;
}

function ftsPhrase(term: string): string {
  return '"' + term.replace(/"/g, '""') + '"';
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** body_header_texts' column for each field SEARCH FROM/TO/CC/BCC scans (searchHeader). */
const HEADER_TEXT_COLUMNS: Record<AddressHeaderName, string> = { from: 'from_text', to: 'to_text', cc: 'cc_text', bcc: 'bcc_text' };

/** Needles a stored search text cannot answer exactly: the "\n" join, CR, NUL, U+FFFD and lone surrogates. */
const INEXACT_NEEDLE = /[\r\n\0\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A non-empty per-recipient prefix that can change how prefix + header parses whatever its fields: it does not end
 * with a line feed (the body's first line would continue its last field) or holds an empty line (the header block
 * would end inside it).
 */
const PREFIX_SHAPE_SQL = `substr(m.prefix, -1) <> char(10)
        OR instr(char(10) || m.prefix, char(10, 10)) > 0 OR instr(char(10) || m.prefix, char(10, 13, 10)) > 0`;

export class MessageOps {
  constructor(
    private readonly st: Statements,
    private readonly mailboxes: MailboxOps,
  ) {}

  /** Inserts (or finds) the body row; indexes searchText the first time it is given. Returns bodies.id. */
  private insertBody(body: BodyInput): number {
    if (!BLOB_ID_RE.test(body.blobId)) throw new StoreError('invalid', `bad blob id ${body.blobId}`);
    if (!Number.isSafeInteger(body.size) || body.size < 0) throw new StoreError('invalid', `bad body size ${body.size}`);
    const existing = this.st.get('SELECT id, indexed FROM bodies WHERE blob_id = ?').get(body.blobId) as
      | { id: number; indexed: number }
      | undefined;
    let id: number;
    if (existing === undefined) {
      const info = this.st
        .get('INSERT INTO bodies (blob_id, size, structure, indexed) VALUES (?, ?, ?, 0)')
        .run(body.blobId, body.size, JSON.stringify(body.structure));
      id = Number(info.lastInsertRowid);
      this.st.get('INSERT INTO body_envelopes (body_id, envelope) VALUES (?, ?)').run(id, JSON.stringify(body.structure.envelope));
      insertSortKeys(this.st.get(INSERT_SORT_KEYS), id, body.structure.envelope);
      this.st.get(INSERT_SENT_DAY).run(id, sentDayMs(body.structure.envelope.date));
      // What SEARCH SUBJECT scans comes with the search text; without it the body has no row (always a candidate).
      const subject = body.searchText?.subject;
      if (subject !== undefined) this.st.get('INSERT INTO body_subjects (body_id, subject) VALUES (?, ?)').run(id, subject);
      const addr = body.searchText?.addresses;
      if (addr !== undefined) this.st.get(INSERT_HEADER_TEXTS).run(id, addr.from, addr.to, addr.cc, addr.bcc);
    } else {
      id = existing.id;
      if (existing.indexed !== 0) return id;
    }
    if (body.searchText !== undefined) {
      this.st.get('INSERT INTO body_text (rowid, headers, body) VALUES (?, ?, ?)').run(id, body.searchText.headers, body.searchText.body);
      this.st.get('UPDATE bodies SET indexed = 1 WHERE id = ?').run(id);
    }
    return id;
  }

  /** Takes `count` consecutive UIDs and modseqs from a mailbox; returns the first of each. */
  private allocate(mailboxId: number, count: number): { uid: number; modseq: number } {
    const r = this.st
      .get(
        'UPDATE mailboxes SET uid_next = uid_next + @n, highest_modseq = highest_modseq + @n WHERE id = @id ' +
          'RETURNING uid_next - @n AS uid, highest_modseq - @n + 1 AS modseq',
      )
      .get({ n: count, id: mailboxId }) as { uid: number; modseq: number } | undefined;
    if (r === undefined) throw new StoreError('not-found', `mailbox ${mailboxId} not found`);
    return r;
  }

  /** Takes one new modseq for a mailbox-wide change (expunge). */
  private bumpModseq(mailboxId: number): number {
    return this.st
      .get('UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq')
      .pluck()
      .get(mailboxId) as number;
  }

  private insertMessage(
    mailboxId: number,
    uid: number,
    modseq: number,
    sys: number,
    keywords: string,
    internalDate: number,
    size: number,
    bodyId: number,
    prefix: string,
  ): void {
    this.st
      .get(
        'INSERT INTO messages (mailbox_id, uid, modseq, sys_flags, keywords, internal_date, size, body_id, prefix) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(mailboxId, uid, modseq, sys, keywords, internalDate, size, bodyId, prefix);
  }

  deliver(body: BodyInput, targets: DeliveryTarget[], internalDate: Date, events: MailboxChange[]): DeliveryResult[] {
    if (targets.length === 0) throw new StoreError('invalid', 'deliver needs at least one target');
    const date = checkDate(internalDate);
    const bodyId = this.insertBody(body);
    const results: DeliveryResult[] = [];
    for (const t of targets) {
      if (this.st.get('SELECT 1 FROM accounts WHERE id = ?').get(t.accountId) === undefined) {
        throw new StoreError('not-found', `account ${t.accountId} not found`);
      }
      const mb =
        (t.mailbox === undefined ? null : this.mailboxes.byName(t.accountId, t.mailbox)) ??
        this.mailboxes.byName(t.accountId, 'INBOX');
      if (mb === null) throw new StoreError('not-found', `account ${t.accountId} has no INBOX`);
      const flags = parseFlags(t.flags ?? []);
      const prefix = t.prefix ?? '';
      const { uid, modseq } = this.allocate(mb.id, 1);
      this.insertMessage(mb.id, uid, modseq, flags.sys, keywordsToColumn(flags.keywords), date, Buffer.byteLength(prefix) + body.size, bodyId, prefix);
      results.push({ accountId: t.accountId, mailboxId: mb.id, uid, modseq });
      events.push({ kind: 'exists', mailboxId: mb.id, uids: [uid], modseq });
    }
    return results;
  }

  append(
    mailboxId: number,
    body: BodyInput,
    opts: { flags?: string[]; internalDate?: Date; prefix?: string },
    events: MailboxChange[],
  ): DeliveryResult {
    const mb = this.mailboxes.requireById(mailboxId);
    const date = checkDate(opts.internalDate ?? new Date());
    const flags = parseFlags(opts.flags ?? []);
    const bodyId = this.insertBody(body);
    const prefix = opts.prefix ?? '';
    const { uid, modseq } = this.allocate(mb.id, 1);
    this.insertMessage(mb.id, uid, modseq, flags.sys, keywordsToColumn(flags.keywords), date, Buffer.byteLength(prefix) + body.size, bodyId, prefix);
    events.push({ kind: 'exists', mailboxId: mb.id, uids: [uid], modseq });
    return { accountId: mb.accountId, mailboxId: mb.id, uid, modseq };
  }

  list(mailboxId: number, opts: { uidFrom?: number; uidTo?: number; changedSince?: number }): MessageSummary[] {
    const from = opts.uidFrom ?? 1;
    const to = opts.uidTo ?? Number.MAX_SAFE_INTEGER;
    const cols = 'SELECT uid, modseq, sys_flags, keywords, internal_date, size FROM messages';
    const rows = (
      opts.changedSince === undefined
        ? this.st.get(`${cols} WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid`).raw().all(mailboxId, from, to)
        : this.st
            // `+uid` steers SQLite to the (mailbox_id, modseq) index: CONDSTORE/QRESYNC ask for few changes.
            .get(`${cols} WHERE mailbox_id = ? AND +uid BETWEEN ? AND ? AND modseq > ? ORDER BY uid`)
            .raw()
            .all(mailboxId, from, to, opts.changedSince)
    ) as SummaryRaw[];
    const out: MessageSummary[] = new Array<MessageSummary>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out[i] = { uid: r[0], modseq: r[1], flags: flagsToList(r[2], r[3]), internalDate: new Date(r[4]), size: r[5] };
    }
    return out;
  }

  get(mailboxId: number, uids: number[]): StoredMessage[] {
    checkUids(uids);
    if (uids.length === 0) return [];
    const rows = this.st
      .get(
        `SELECT m.mailbox_id, m.uid, m.modseq, m.sys_flags, m.keywords, m.internal_date, m.size, m.prefix,
                b.blob_id, b.structure
         FROM messages m JOIN bodies b ON b.id = m.body_id
         WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`,
      )
      .all(mailboxId, JSON.stringify(uids)) as FullRow[];
    return rows.map((r) => ({
      mailboxId: r.mailbox_id,
      uid: r.uid,
      modseq: r.modseq,
      flags: flagsToList(r.sys_flags, r.keywords),
      internalDate: new Date(r.internal_date),
      size: r.size,
      blobId: r.blob_id,
      prefix: r.prefix,
      structure: JSON.parse(r.structure) as MessageStructure,
    }));
  }

  /** SELECT's view of a mailbox: three narrow queries instead of a summary object per message. */
  index(mailboxId: number): MailboxIndex {
    const uids = this.st.get('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(mailboxId) as number[];
    const firstUnseen = this.st
      .get(`SELECT uid FROM messages WHERE mailbox_id = ? AND (sys_flags & ${SEEN}) = 0 ORDER BY uid LIMIT 1`)
      .pluck()
      .get(mailboxId) as number | undefined;
    const columns = this.st
      .get("SELECT DISTINCT keywords FROM messages WHERE mailbox_id = ? AND keywords <> ''")
      .pluck()
      .all(mailboxId) as string[];
    const keywords = new Set<string>();
    for (const c of columns) for (const k of keywordsFromColumn(c)) keywords.add(k);
    return { uids, firstUnseenUid: firstUnseen ?? 0, keywords: [...keywords] };
  }

  /**
   * Summaries with the stored envelope (the structure is parsed only for a row without one). A dense UID list
   * (a FETCH 1:* or SORT ALL batch) is read as one primary-key range and filtered here, which is several times
   * faster than one key lookup per UID.
   */
  envelopes(mailboxId: number, uids: number[]): EnvelopeSummary[] {
    checkUids(uids);
    if (uids.length === 0) return [];
    let min = uids[0]!;
    let max = min;
    for (const u of uids) {
      if (u < min) min = u;
      if (u > max) max = u;
    }
    const cols = `SELECT m.uid, m.modseq, m.sys_flags, m.keywords, m.internal_date, m.size, e.envelope,
                         CASE WHEN e.envelope IS NULL THEN (SELECT structure FROM bodies b WHERE b.id = m.body_id) END
                  FROM messages m LEFT JOIN body_envelopes e ON e.body_id = m.body_id`;
    const dense = max - min + 1 <= 2 * uids.length;
    const rows = (
      dense
        ? this.st.get(`${cols} WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid`).raw().all(mailboxId, min, max)
        : this.st
            .get(`${cols} WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`)
            .raw()
            .all(mailboxId, JSON.stringify(uids))
    ) as EnvelopeRaw[];
    const wanted = dense ? new Set(uids) : null;
    const out: EnvelopeSummary[] = [];
    for (const r of rows) {
      if (wanted !== null && !wanted.has(r[0])) continue;
      const envelope = r[6] !== null ? (JSON.parse(r[6]) as Envelope) : (JSON.parse(r[7]!) as MessageStructure).envelope;
      out.push({ uid: r[0], modseq: r[1], flags: flagsToList(r[2], r[3]), internalDate: new Date(r[4]), size: r[5], envelope });
    }
    return out;
  }

  /**
   * UID, modseq and flag text of a UID range; the text is built once per distinct (system bits, keywords). Each
   * row comes back as one string "uid modseq bits keywords" (several times faster to read than four columns).
   */
  flagRows(mailboxId: number, from: number, to: number): FlagRow[] {
    const rows = this.st
      .get("SELECT uid || ' ' || modseq || ' ' || sys_flags || ' ' || keywords FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid")
      .pluck()
      .all(mailboxId, from, to) as string[];
    const texts = new Map<string, string>();
    const out: FlagRow[] = new Array<FlagRow>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const a = r.indexOf(' ');
      const b = r.indexOf(' ', a + 1);
      const key = r.slice(b + 1); // "bits keywords"
      let t = texts.get(key);
      if (t === undefined) {
        const c = key.indexOf(' ');
        t = flagsToList(Number(key.slice(0, c)), key.slice(c + 1)).join(' ');
        texts.set(key, t);
      }
      out[i] = [Number(r.slice(0, a)), Number(r.slice(a + 1, b)), t];
    }
    return out;
  }

  /** Statements whose plan is checked to scan the primary key range, by SQL text (lines). */
  private readonly keyOrdered = new Map<string, boolean>();

  /**
   * Store.listLines: the lines are made by SQLite (format() per row, group_concat), so a listing of a large
   * mailbox costs no JavaScript per message. group_concat takes rows in the order the scan visits them: the
   * statement is used only when its plan is a range scan of the messages' primary key (mailbox_id, uid) driving
   * the query (the cached texts joined by their key), else null. ENVELOPE texts are in body_imap_cache (c),
   * BODYSTRUCTURE and BODY texts in migration 7's narrower body_imap_structure (s).
   */
  lines(
    mailboxId: number,
    from: number,
    to: number,
    format: { parts: readonly LinePart[]; separator: string; seqOffset: number; textVersion?: number },
  ): Buffer | null {
    let fmt = '';
    const args: string[] = [];
    const texts: string[] = [];
    let joinC = false;
    let joinS = false;
    for (const part of format.parts) {
      if (typeof part === 'string') {
        fmt += part.replace(/%/g, '%%');
        continue;
      }
      fmt += part.field === 'uid' || part.field === 'seq' || part.field === 'modseq' ? '%d' : '%s';
      switch (part.field) {
        case 'uid':
          args.push('m.uid');
          break;
        case 'seq':
          args.push('(m.uid - @offset)');
          break;
        case 'modseq':
          args.push('m.modseq');
          break;
        case 'flags':
          args.push(FLAGS_SQL);
          break;
        default: {
          const col = part.field === 'bodyStructure' ? 'bodystructure' : part.field;
          const t = col === 'envelope' ? 'c' : 's';
          if (t === 'c') joinC = true;
          else joinS = true;
          const expr = `CASE WHEN ${t}.version = @version AND ${t}.${col} <> '' THEN ${t}.${col} END`;
          args.push(expr);
          texts.push(expr);
        }
      }
    }
    if (texts.length > 0 && format.textVersion === undefined) throw new StoreError('invalid', 'cached texts need a textVersion');
    const sql = linesSql(args, texts, joinC, joinS);
    const params = { fmt, sep: format.separator, offset: format.seqOffset, version: format.textVersion ?? 0, mailbox: mailboxId, from, to };
    if (!this.isKeyOrdered(sql)) return null;
    const [absent, bytes] = this.st.get(sql).raw().get(params) as [number | null, Buffer | null];
    if (absent) return null;
    return bytes ?? EMPTY;
  }

  /** Whether `sql` (a linesSql text) runs as a range scan of the messages' primary key; checked once per text. */
  private isKeyOrdered(sql: string): boolean {
    let ordered = this.keyOrdered.get(sql);
    if (ordered === undefined) {
      const params = { fmt: '', sep: '', offset: 0, version: 0, mailbox: 0, from: 0, to: 0 };
      const plan = this.st.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ detail: string }>;
      ordered =
        /^SEARCH m USING PRIMARY KEY \(mailbox_id=\? AND uid>\? AND uid<\?\)$/.test(plan[0]?.detail ?? '') &&
        plan.slice(1).every((r) => /^SEARCH [cs] USING INTEGER PRIMARY KEY \(rowid=\?\)/.test(r.detail));
      this.keyOrdered.set(sql, ordered);
      if (ordered) this.st.get(sql);
    }
    return ordered;
  }

  /**
   * Checks and prepares, at store open, the listLines statements of FETCH BODYSTRUCTURE (with and without
   * UID), so the first FETCH after a start does not pay for them (~0.5 ms).
   */
  prepareHotStatements(): void {
    const bs = "CASE WHEN s.version = @version AND s.bodystructure <> '' THEN s.bodystructure END";
    this.isKeyOrdered(linesSql(['(m.uid - @offset)', bs], [bs], false, true));
    this.isKeyOrdered(linesSql(['(m.uid - @offset)', 'm.uid', bs], [bs], false, true));
  }

  /**
   * The flags of a UID range as one text (FlagListing): one aggregate over the primary-key range scan, which
   * SQLite runs in key order (`ORDER BY` inside group_concat would add a sort; the IMAP caller checks the order).
   * Several times faster than a row per message.
   */
  flagText(mailboxId: number, from: number, to: number, modseq: boolean): FlagListing {
    const line = `uid || ' ' || ${modseq ? "modseq || ' ' || " : ''}sys_flags || ' ' || keywords`;
    const text = this.st
      .get(`SELECT group_concat(${line}, char(10)) FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ?`)
      .pluck()
      .get(mailboxId, from, to) as string | null;
    return { text: text ?? '', systemFlags: SYSTEM_FLAG_TEXTS };
  }

  /** The rows of `cols` (which must select m.uid first) for `uids`: one primary-key range when dense, else by key. */
  private rowsFor<T>(cols: string, mailboxId: number, uids: number[]): T[] {
    let min = uids[0]!;
    let max = min;
    let ascending = true;
    for (let i = 1; i < uids.length; i++) {
      const u = uids[i]!;
      if (u <= uids[i - 1]!) ascending = false;
      if (u < min) min = u;
      if (u > max) max = u;
    }
    if (max - min + 1 <= 2 * uids.length) {
      const rows = this.st.get(`${cols} WHERE m.mailbox_id = ? AND m.uid BETWEEN ? AND ? ORDER BY m.uid`).raw().all(mailboxId, min, max) as T[];
      if (ascending && max - min + 1 === uids.length) return rows; // the whole range was asked
      const wanted = new Set(uids);
      return rows.filter((r) => wanted.has((r as unknown as [number])[0]));
    }
    return this.st
      .get(`${cols} WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid`)
      .raw()
      .all(mailboxId, JSON.stringify(uids)) as T[];
  }

  /**
   * SORT keys (migration 4's body_sort_keys with the message's own date and size). A body without a
   * sort-keys row (none should exist) gets them computed from its envelope.
   */
  sortKeys(mailboxId: number, uids: number[], keys: readonly SortKeyName[]): SortKeyRow[] {
    checkUids(uids);
    if (uids.length === 0) return [];
    const needBody = keys.some((k) => k !== 'arrival' && k !== 'size');
    const cols =
      `SELECT m.uid${keys.map((k) => `, ${SORT_KEY_SQL[k]}`).join('')}` +
      (needBody
        ? `, CASE WHEN k.body_id IS NULL THEN (SELECT envelope FROM body_envelopes e WHERE e.body_id = m.body_id) END
           FROM messages m LEFT JOIN body_sort_keys k ON k.body_id = m.body_id`
        : ' FROM messages m');
    const rows = this.rowsFor<SortKeyRow>(cols, mailboxId, uids);
    if (!needBody) return rows;
    const n = keys.length + 1;
    for (const r of rows) {
      const env = r[n] as string | null;
      r.length = n;
      if (env === null) continue;
      const k = sortKeysOf(JSON.parse(env) as Envelope);
      keys.forEach((name, i) => {
        const f = SORT_KEY_FIELD[name];
        if (f !== undefined) r[i + 1] = k[f];
        else if (name === 'date' && k.sentDate !== null) r[i + 1] = k.sentDate;
      });
    }
    return rows;
  }

  /** Every UID of the mailbox in the order of numeric sort keys, ties by UID: SQLite sorts, only UIDs come back. */
  sortedUids(mailboxId: number, criteria: ReadonlyArray<{ key: NumericSortKeyName; reverse: boolean }>): number[] {
    const order = criteria.map((c) => `${SORT_KEY_SQL[c.key]}${c.reverse ? ' DESC' : ''}`).join(', ');
    const join = criteria.some((c) => c.key === 'date') ? ' LEFT JOIN body_sort_keys k ON k.body_id = m.body_id' : '';
    return this.st
      .get(`SELECT m.uid FROM messages m${join} WHERE m.mailbox_id = ? ORDER BY ${order ? order + ', ' : ''}m.uid`)
      .pluck()
      .all(mailboxId) as number[];
  }

  /**
   * Summaries with the cached wire texts of `version` ('' and other versions read as null); the envelope
   * and/or the structure are read only for the rows that miss a text that needs them.
   */
  bodyCache(mailboxId: number, uids: number[], version: number, want: { envelope: boolean; structure: boolean }): BodyCacheSummary[] {
    checkUids(uids);
    if (uids.length === 0) return [];
    const v = Number(version) | 0;
    const text = (t: string, col: string): string => `CASE WHEN ${t}.version = ${v} AND ${t}.${col} <> '' THEN ${t}.${col} END`;
    const envelope = want.envelope
      ? `CASE WHEN c.version IS NOT ${v} OR coalesce(c.envelope, '') = '' THEN (SELECT envelope FROM body_envelopes e WHERE e.body_id = m.body_id) END`
      : 'NULL';
    const structure = want.structure
      ? `CASE WHEN s.version IS NOT ${v} OR coalesce(s.bodystructure, '') = '' OR coalesce(s.body, '') = '' ` +
        'THEN (SELECT structure FROM bodies b WHERE b.id = m.body_id) END'
      : 'NULL';
    const cols = `SELECT m.uid, m.modseq, m.sys_flags, m.keywords, m.internal_date, m.size,
                         ${want.envelope ? text('c', 'envelope') : 'NULL'}, ${want.structure ? `${text('s', 'bodystructure')}, ${text('s', 'body')}` : 'NULL, NULL'},
                         ${envelope}, ${structure}
                  FROM messages m LEFT JOIN body_imap_cache c ON c.body_id = m.body_id LEFT JOIN body_imap_structure s ON s.body_id = m.body_id`;
    const rows = this.rowsFor<BodyCacheRaw>(cols, mailboxId, uids);
    const out: BodyCacheSummary[] = new Array<BodyCacheSummary>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      out[i] = {
        uid: r[0],
        modseq: r[1],
        flags: flagsToList(r[2], r[3]),
        internalDate: new Date(r[4]),
        size: r[5],
        envelopeText: r[6],
        bodyStructure: r[7],
        body: r[8],
        envelope: r[9] === null ? null : (JSON.parse(r[9]) as Envelope),
        structure: r[10] === null ? null : (JSON.parse(r[10]) as MessageStructure),
      };
    }
    return out;
  }

  /** Only the cached texts (CachedTextRow): one narrow range read, no JSON and no summary per row. */
  cachedTexts(mailboxId: number, uids: number[], version: number, want: { envelope: boolean; bodyStructure: boolean; body: boolean }): CachedTextRow[] {
    checkUids(uids);
    if (uids.length === 0) return [];
    const v = Number(version) | 0;
    const text = (asked: boolean, t: string, col: string): string =>
      asked ? `CASE WHEN ${t}.version = ${v} AND ${t}.${col} <> '' THEN ${t}.${col} END` : 'NULL';
    const cols =
      `SELECT m.uid, ${text(want.envelope, 'c', 'envelope')}, ${text(want.bodyStructure, 's', 'bodystructure')}, ${text(want.body, 's', 'body')} FROM messages m` +
      (want.envelope ? ' LEFT JOIN body_imap_cache c ON c.body_id = m.body_id' : '') +
      (want.bodyStructure || want.body ? ' LEFT JOIN body_imap_structure s ON s.body_id = m.body_id' : '');
    return this.rowsFor<CachedTextRow>(cols, mailboxId, uids);
  }

  putBodyCache(mailboxId: number, version: number, entries: readonly BodyCacheEntry[]): void {
    // The ENVELOPE text goes to body_imap_cache, BODYSTRUCTURE and BODY to body_imap_structure (migration 7).
    // Columns not given keep their text when the entry has the same version; another version is replaced whole
    // (a text of another version is never read, so a table the entry does not touch needs no write).
    const keep = (table: string, col: string): string =>
      `${col} = coalesce(excluded.${col}, CASE WHEN ${table}.version = excluded.version THEN ${table}.${col} END)`;
    const putEnvelope = this.st.get(
      'INSERT INTO body_imap_cache (body_id, version, envelope) ' +
        'SELECT body_id, ?, ? FROM messages WHERE mailbox_id = ? AND uid = ? ' +
        'ON CONFLICT (body_id) DO UPDATE SET envelope = excluded.envelope, version = excluded.version',
    );
    const putStructure = this.st.get(
      'INSERT INTO body_imap_structure (body_id, version, bodystructure, body) ' +
        'SELECT body_id, ?, ?, ? FROM messages WHERE mailbox_id = ? AND uid = ? ' +
        `ON CONFLICT (body_id) DO UPDATE SET ${keep('body_imap_structure', 'bodystructure')}, ${keep('body_imap_structure', 'body')}, ` +
        'version = excluded.version',
    );
    for (const e of entries) {
      if (e.envelope !== undefined) putEnvelope.run(version, e.envelope, mailboxId, e.uid);
      if (e.bodyStructure !== undefined || e.body !== undefined) {
        putStructure.run(version, e.bodyStructure ?? null, e.body ?? null, mailboxId, e.uid);
      }
    }
  }

  /**
   * RFC 3501 §6.4.6 STORE with RFC 7162 §3.1.3 UNCHANGEDSINCE: a message whose modseq is above
   * unchangedSince is not changed and is reported in `modified`. Only messages whose flags really change get a
   * new modseq and appear in `updated`.
   */
  storeFlags(
    mailboxId: number,
    uids: number[],
    op: FlagOperation,
    flags: string[],
    opts: { unchangedSince?: number },
    events: MailboxChange[],
  ): StoreFlagsResult {
    checkUids(uids);
    this.mailboxes.requireById(mailboxId);
    const change = parseFlags(flags);
    const rows = this.st
      .get(
        'SELECT uid, modseq, sys_flags, keywords FROM messages ' +
          'WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid',
      )
      .all(mailboxId, JSON.stringify(uids)) as Array<{ uid: number; modseq: number; sys_flags: number; keywords: string }>;
    const updated: FlagUpdate[] = [];
    const modified: number[] = [];
    const write = this.st.get('UPDATE messages SET sys_flags = ?, keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?');
    for (const r of rows) {
      if (opts.unchangedSince !== undefined && r.modseq > opts.unchangedSince) {
        modified.push(r.uid);
        continue;
      }
      const next = applyFlagOperation(op, r.sys_flags, r.keywords, change);
      if (next.sys === r.sys_flags && next.keywords === r.keywords) continue;
      const modseq = this.bumpModseq(mailboxId);
      write.run(next.sys, next.keywords, modseq, mailboxId, r.uid);
      updated.push({ uid: r.uid, flags: flagsToList(next.sys, next.keywords), modseq });
    }
    if (updated.length > 0) events.push({ kind: 'flags', mailboxId, updates: updated });
    return { updated, modified };
  }

  private removeWithTombstones(mailboxId: number, uids: number[], events: MailboxChange[]): number {
    const modseq = this.bumpModseq(mailboxId);
    const json = JSON.stringify(uids);
    this.st.get('DELETE FROM messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?))').run(mailboxId, json);
    this.st
      .get('INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) SELECT ?, value, ? FROM json_each(?)')
      .run(mailboxId, modseq, json);
    events.push({ kind: 'expunge', mailboxId, uids, modseq });
    return modseq;
  }

  expunge(mailboxId: number, opts: { uids?: number[]; onlyDeleted: boolean }, events: MailboxChange[]): { uids: number[]; modseq: number } {
    const mb = this.mailboxes.requireById(mailboxId);
    const deletedOnly = opts.onlyDeleted ? ` AND (sys_flags & ${DELETED}) <> 0` : '';
    let uids: number[];
    if (opts.uids === undefined) {
      uids = this.st.get(`SELECT uid FROM messages WHERE mailbox_id = ?${deletedOnly} ORDER BY uid`).pluck().all(mailboxId) as number[];
    } else {
      checkUids(opts.uids);
      uids = this.st
        .get(`SELECT uid FROM messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?))${deletedOnly} ORDER BY uid`)
        .pluck()
        .all(mailboxId, JSON.stringify(opts.uids)) as number[];
    }
    if (uids.length === 0) return { uids, modseq: mb.highestModseq };
    return { uids, modseq: this.removeWithTombstones(mailboxId, uids, events) };
  }

  /** RFC 4315 COPYUID: destination UIDs are assigned in source UID order. */
  copy(sourceId: number, uids: number[], destId: number, events: MailboxChange[]): CopyResult & { sourceUids: number[] } {
    checkUids(uids);
    this.mailboxes.requireById(sourceId);
    const dest = this.mailboxes.requireById(destId);
    const rows = this.st
      .get(
        'SELECT uid, sys_flags, keywords, internal_date, size, body_id, prefix FROM messages ' +
          'WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid',
      )
      .all(sourceId, JSON.stringify(uids)) as CopySource[];
    if (rows.length === 0) return { mapping: [], destUidValidity: dest.uidValidity, sourceUids: [] };
    const first = this.allocate(destId, rows.length);
    const mapping = rows.map((r, i) => {
      this.insertMessage(destId, first.uid + i, first.modseq + i, r.sys_flags, r.keywords, r.internal_date, r.size, r.body_id, r.prefix);
      return { sourceUid: r.uid, destUid: first.uid + i };
    });
    events.push({ kind: 'exists', mailboxId: destId, uids: mapping.map((m) => m.destUid), modseq: first.modseq + rows.length - 1 });
    return { mapping, destUidValidity: dest.uidValidity, sourceUids: rows.map((r) => r.uid) };
  }

  /** RFC 6851 MOVE: copy, then expunge the sources with one modseq. */
  move(sourceId: number, uids: number[], destId: number, events: MailboxChange[]): CopyResult & { expungeModseq: number } {
    const { mapping, destUidValidity, sourceUids } = this.copy(sourceId, uids, destId, events);
    const expungeModseq =
      sourceUids.length === 0 ? this.mailboxes.requireById(sourceId).highestModseq : this.removeWithTombstones(sourceId, sourceUids, events);
    return { mapping, destUidValidity, expungeModseq };
  }

  vanishedSince(mailboxId: number, sinceModseq: number): number[] {
    return this.st
      .get('SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid')
      .pluck()
      .all(mailboxId, sinceModseq) as number[];
  }

  /**
   * SEARCH SUBJECT (Store.searchSubject): one scan of the mailbox joined with body_subjects. `body_subjects.subject`
   * holds the decoded value of every top-level Subject field of the body's header, each lower-cased, joined by "\n"
   * (mail/search-text.ts subjectSearchText, the same parse and decodeWords as IMAP's check; NULL: no Subject field;
   * no row: the header starts with a continuation line, or it was never computed). Maybe (the exact check must run):
   * bodies without a row, and messages whose per-recipient prefix could change how prefix + header parses
   * (MessageFields.header): one that mentions "subject" (LIKE is ASCII case-insensitive; field names are ASCII),
   * does not end with a line feed, or holds an empty line (which would end the header block). For the others the
   * fields of prefix + header are the prefix's (no Subject) then the body's, so `instr(subject, lower(value)) > 0`
   * is the exact answer (an empty value matches every non-NULL subject: RFC 9051 §6.4.4, the field exists) as long
   * as the value holds no "\n" (the join) or "\r" or NUL, and is well-formed UTF-16 without U+FFFD (SQLite stores
   * a lone surrogate as U+FFFD); for any other value every candidate is a maybe.
   */
  searchSubject(mailboxId: number, value: string): { sure: number[]; maybe: number[] } {
    const maybe = `(s.body_id IS NULL OR (m.prefix <> '' AND (m.prefix LIKE '%subject%' OR ${PREFIX_SHAPE_SQL})))`;
    return this.sureAndMaybe(
      `SELECT m.uid, ${maybe} FROM messages m LEFT JOIN body_subjects s ON s.body_id = m.body_id
       WHERE m.mailbox_id = ? AND (instr(s.subject, ?) > 0 OR ${maybe})
       ORDER BY m.uid`,
      mailboxId,
      value,
    );
  }

  /**
   * SEARCH FROM/TO/CC/BCC (Store.searchHeader): searchSubject's rules for body_header_texts (migration 8), whose
   * `<field>_text` holds the lower-cased decoded values of every top-level field called `field`, joined by "\n"
   * (mail/search-text.ts addressSearchTexts; NULL: no such field; no row: not computed). The prefix rule is by line,
   * not by mention, since every delivered prefix holds "Delivered-To:": a prefix could add such a field only with a
   * line (scanHeaderBlock splits at LF only) that starts with the name, case-insensitively (LIKE is ASCII
   * case-insensitive, field names are ASCII), then ":" or SP or HTAB (obs-optional WSP before the colon, RFC 5322
   * §4.5.8; conservative: "to x" is no field). Such a prefix, or one that does not end with a line feed or holds an
   * empty line, makes the message a maybe; so does a value with "\n", "\r", NUL, U+FFFD or a lone surrogate.
   */
  searchHeader(mailboxId: number, field: AddressHeaderName, value: string): { sure: number[]; maybe: number[] } {
    // The name goes into the SQL text: only the four known ones.
    if (!Object.hasOwn(HEADER_TEXT_COLUMNS, field)) throw new StoreError('invalid', `no search text for header ${String(field)}`);
    const col = HEADER_TEXT_COLUMNS[field];
    const line = `'%' || char(10) || '${field}`;
    const maybe = `(h.body_id IS NULL
      OR (m.prefix <> '' AND (((char(10) || m.prefix) LIKE ${line}%' AND ((char(10) || m.prefix) LIKE ${line}:%'
          OR (char(10) || m.prefix) LIKE ${line} %' OR (char(10) || m.prefix) LIKE ${line}' || char(9) || '%'))
        OR ${PREFIX_SHAPE_SQL})))`;
    return this.sureAndMaybe(
      `SELECT m.uid, ${maybe} FROM messages m LEFT JOIN body_header_texts h ON h.body_id = m.body_id
       WHERE m.mailbox_id = ? AND (instr(h.${col}, ?) > 0 OR ${maybe})
       ORDER BY m.uid`,
      mailboxId,
      value,
    );
  }

  /**
   * Runs a searchSubject/searchHeader statement (rows: UID, whether the message is a maybe; parameters: the mailbox
   * and the lower-cased value) and splits its UIDs: every one is a maybe when the value itself is inexact.
   */
  private sureAndMaybe(sql: string, mailboxId: number, value: string): { sure: number[]; maybe: number[] } {
    const rows = this.st.get(sql).raw().all(mailboxId, value.toLowerCase()) as Array<[number, number]>;
    const exact = !INEXACT_NEEDLE.test(value);
    const sure: number[] = [];
    const maybe: number[] = [];
    for (const [uid, m] of rows) (exact && m === 0 ? sure : maybe).push(uid);
    return { sure, maybe };
  }

  /**
   * Candidate UIDs (a superset) for IMAP SEARCH BODY/TEXT (RFC 3501 §6.4.4, substring match): trigram FTS
   * for terms of three or more characters; bodies never indexed are always candidates; for TEXT, a term found
   * in the per-recipient prefix also makes a candidate.
   */
  searchText(mailboxId: number, terms: string[], field: 'body' | 'text'): number[] {
    const usable = terms.filter((t) => [...t].length >= MIN_FTS_TERM);
    if (usable.length === 0) {
      return this.st.get('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(mailboxId) as number[];
    }
    const match = usable.map((t) => (field === 'body' ? `body : ${ftsPhrase(t)}` : ftsPhrase(t))).join(' AND ');
    const prefixCond =
      field === 'text' ? terms.map(() => ` OR m.prefix LIKE ? ESCAPE '\\'`).join('') : '';
    const prefixArgs = field === 'text' ? terms.map((t) => `%${escapeLike(t)}%`) : [];
    return this.st
      .get(
        `SELECT m.uid FROM messages m JOIN bodies b ON b.id = m.body_id
         WHERE m.mailbox_id = ? AND (b.indexed = 0
           OR m.body_id IN (SELECT rowid FROM body_text WHERE body_text MATCH ?)${prefixCond})
         ORDER BY m.uid`,
      )
      .pluck()
      .all(mailboxId, match, ...prefixArgs) as number[];
  }

  /**
   * SEARCH flag keys (Store.searchFlag). A system flag (a name starting with a backslash, as parseFlags reads it) is its bit
   * of sys_flags: lacking \Seen comes from migration 5's messages_unseen index, the others from one scan of the
   * mailbox's primary-key range (a few ms per 100,000 messages); \Recent and unknown names are no stored flag.
   * A keyword matches a message when one of its stored keywords equals it under toLowerCase (the same comparison
   * as IMAP's check, also for non-ASCII): the distinct keyword columns are probed on messages_keywords and the UIDs
   * of the matching columns read by that index; past MAX_KEYWORD_COLUMNS distinct columns, every message with
   * keywords is read once instead. Lacking a keyword: the mailbox's other UIDs.
   */
  searchFlag(mailboxId: number, flag: string, present: boolean): number[] {
    let has: number[];
    if (flag.startsWith('\\')) {
      let bit = 0;
      try {
        bit = parseFlags([flag]).sys;
      } catch {
        bit = 0; // an unknown system flag: on no message
      }
      if (bit === SEEN && !present) {
        return this.st
          .get(`SELECT uid FROM messages INDEXED BY messages_unseen WHERE mailbox_id = ? AND (sys_flags & ${SEEN}) = 0 ORDER BY uid`)
          .pluck()
          .all(mailboxId) as number[];
      }
      if (bit !== 0) {
        return this.st
          .get(`SELECT uid FROM messages WHERE mailbox_id = ? AND (sys_flags & ${bit}) ${present ? '<>' : '='} 0 ORDER BY uid`)
          .pluck()
          .all(mailboxId) as number[];
      }
      has = [];
    } else {
      has = this.keywordUids(mailboxId, flag.toLowerCase());
    }
    if (present) return has;
    const drop = new Set(has);
    const all = this.st.get('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(mailboxId) as number[];
    return drop.size === 0 ? all : all.filter((u) => !drop.has(u));
  }

  /**
   * SEARCH size and date keys (Store.searchRange): the UIDs whose `field` lies in [min, max) (a null bound: open),
   * ascending. size and internalDate: one scan of the mailbox's primary-key range; sentDate: the same joined with
   * migration 9's body_sent_days by primary key, the internal date standing in where the Date gives no day.
   */
  searchRange(mailboxId: number, field: RangeField, min: number | null, max: number | null): number[] {
    const col = field === 'size' ? 'm.size' : field === 'internalDate' ? 'm.internal_date' : 'coalesce(d.sent_day, m.internal_date)';
    const join = field === 'sentDate' ? ' LEFT JOIN body_sent_days d ON d.body_id = m.body_id' : '';
    const args: number[] = [mailboxId];
    let where = 'm.mailbox_id = ?';
    if (min !== null) {
      where += ` AND ${col} >= ?`;
      args.push(min);
    }
    if (max !== null) {
      where += ` AND ${col} < ?`;
      args.push(max);
    }
    return this.st.get(`SELECT m.uid FROM messages m${join} WHERE ${where} ORDER BY m.uid`).pluck().all(...args) as number[];
  }

  /** Ascending UIDs of the messages one of whose keywords lower-cases to `lower`. */
  private keywordUids(mailboxId: number, lower: string): number[] {
    const matches = (column: string): boolean => keywordsFromColumn(column).some((k) => k.toLowerCase() === lower);
    const next = this.st.get(NEXT_KEYWORDS_SQL).pluck();
    const columns: string[] = [];
    for (let c = next.get(mailboxId, '') as string | undefined; c !== undefined; c = next.get(mailboxId, c) as string | undefined) {
      if (columns.length === MAX_KEYWORD_COLUMNS) {
        const rows = this.st
          .get("SELECT uid, keywords FROM messages WHERE mailbox_id = ? AND keywords <> ''")
          .raw()
          .all(mailboxId) as Array<[number, string]>;
        return rows.filter(([, k]) => matches(k)).map(([uid]) => uid).sort((a, b) => a - b);
      }
      columns.push(c);
    }
    const byColumn = this.st.get("SELECT uid FROM messages WHERE mailbox_id = ? AND keywords <> '' AND keywords = ? ORDER BY uid").pluck();
    const parts = columns.filter(matches).map((c) => byColumn.all(mailboxId, c) as number[]);
    return parts.length === 0 ? [] : sortedUids(parts);
  }
}

/** The next distinct keywords column of a mailbox after `?` (messages_keywords, migration 5: messages with keywords only). */
const NEXT_KEYWORDS_SQL = "SELECT keywords FROM messages WHERE mailbox_id = ? AND keywords <> '' AND keywords > ? ORDER BY keywords LIMIT 1";

/** Ascending, without duplicates when the parts are disjoint (they are: one keywords column each). */
function sortedUids(parts: readonly number[][]): number[] {
  if (parts.length === 1) return parts[0]!;
  const all = Uint32Array.from(parts.flat()).sort();
  return Array.from(all);
}

/** The Store.listLines statement for the format's column expressions (`texts`: those of cached texts). */
function linesSql(args: readonly string[], texts: readonly string[], joinC: boolean, joinS: boolean): string {
  const missing = texts.length ? `sum(${texts.map((t) => `${t} IS NULL`).join(' OR ')})` : '0';
  return (
    // CAST AS BLOB: the listing reaches JavaScript as the UTF-8 bytes SQLite built, not decoded into a string.
    `SELECT ${missing}, CAST(group_concat(format(@fmt${args.map((a) => `, ${a}`).join('')}), @sep) AS BLOB) FROM messages m` +
    (joinC ? ' LEFT JOIN body_imap_cache c ON c.body_id = m.body_id' : '') +
    (joinS ? ' LEFT JOIN body_imap_structure s ON s.body_id = m.body_id' : '') +
    ' WHERE m.mailbox_id = @mailbox AND m.uid BETWEEN @from AND @to'
  );
}
