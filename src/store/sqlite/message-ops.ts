/**
 * Messages on SQLite: delivery, listing, flags, expunge, copy/move, QRESYNC tombstones and full-text
 * candidates. Synchronous; SqliteStore runs each call in one transaction (deliver/append inside a group
 * commit, each in its own savepoint) and publishes the collected change events after the commit.
 *
 * Invariants: a mailbox's uid_next and highest_modseq only grow; every new message, flag change and expunge
 * takes a fresh modseq from its mailbox (RFC 7162 §3.1); expunged UIDs leave a tombstone with the expunge
 * modseq (RFC 7162 §3.2.5.1 VANISHED). One bodies row per distinct blob.
 */

import { StoreError } from '../../lib/errors.js';
import type { Envelope, MessageStructure } from '../../mail/structure.js';
import type {
  BodyInput,
  CopyResult,
  DeliveryResult,
  DeliveryTarget,
  EnvelopeSummary,
  MailboxIndex,
  FlagOperation,
  FlagUpdate,
  MailboxChange,
  MessageSummary,
  StoredMessage,
  StoreFlagsResult,
} from '../types.js';
import { applyFlagOperation, DELETED, flagsToList, keywordsFromColumn, keywordsToColumn, parseFlags, SEEN } from './flags.js';
import type { MailboxOps } from './mailbox-ops.js';
import type { Statements } from './statements.js';

const BLOB_ID_RE = /^[0-9a-f]{64}$/;
/** Trigram FTS can only match terms of at least three characters. */
const MIN_FTS_TERM = 3;

type SummaryRaw = [uid: number, modseq: number, sys: number, keywords: string, internalDate: number, size: number];
type EnvelopeRaw = [...SummaryRaw, envelope: string | null, structure: string | null];

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
}
