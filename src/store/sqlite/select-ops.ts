/**
 * What IMAP SELECT reads and writes beyond the mailbox row: the packed UID list (the sequence-number map)
 * and the \Recent watermark (RFC 3501 §2.3.2), kept per mailbox like Dovecot's "first recent UID": the
 * messages with UID ≥ mailboxes.first_recent_uid (migration 5) are \Recent for the next session that
 * claims them (SELECT, or the first read-write session told of a new message). The sequence-number map of a
 * gap-free mailbox is built from mailboxes.message_count (migration 7, kept by triggers) and the min and max UID.
 *
 * Invariants: first_recent_uid only grows and never exceeds uid_next. Side effects: claim writes the row.
 */

import { StoreError } from '../../lib/errors.js';
import { keywordsFromColumn, SEEN } from './flags.js';
import type { Statements } from './statements.js';

/** SELECT's statements (prepared at store open by `prepare`, so the first SELECT after a start pays for none). */
const UID_RANGE_SQL =
  'SELECT b.message_count, (SELECT uid FROM messages WHERE mailbox_id = b.id ORDER BY uid LIMIT 1), ' +
  '(SELECT uid FROM messages WHERE mailbox_id = b.id ORDER BY uid DESC LIMIT 1) FROM mailboxes b WHERE b.id = ?';
const FIRST_UNSEEN_SQL = `SELECT uid FROM messages INDEXED BY messages_unseen WHERE mailbox_id = ? AND (sys_flags & ${SEEN}) = 0 ORDER BY uid LIMIT 1`;
const NEXT_KEYWORDS_SQL = "SELECT keywords FROM messages WHERE mailbox_id = ? AND keywords <> '' AND keywords > ? ORDER BY keywords LIMIT 1";
const RECENT_SQL = 'SELECT first_recent_uid AS f, uid_next AS n FROM mailboxes WHERE id = ?';

export class SelectOps {
  constructor(private readonly st: Statements) {}

  /**
   * Prepares the statements every SELECT runs, and runs fillRange once over a large array so that V8 has
   * compiled its loop before the first SELECT of a big mailbox (interpreted, 100,000 UIDs take ~1.5 ms).
   */
  prepare(): void {
    for (const sql of [UID_RANGE_SQL, FIRST_UNSEEN_SQL, NEXT_KEYWORDS_SQL, RECENT_SQL]) this.st.get(sql);
    fillRange(new Uint32Array(100_000), 1);
  }

  /**
   * Every UID of the mailbox, ascending. A mailbox without gaps (count = max - min + 1) is filled without
   * reading a row per message: the count is migration 7's trigger-kept mailboxes.message_count, min and max
   * are two primary-key probes, all in one statement.
   */
  uids(mailboxId: number): Uint32Array {
    const r = this.st.get(UID_RANGE_SQL).raw().get(mailboxId) as [number, number | null, number | null] | undefined;
    if (r === undefined || r[1] === null || r[2] === null) return new Uint32Array(0);
    const [n, lo, hi] = r;
    if (hi - lo + 1 === n) return fillRange(new Uint32Array(n), lo);
    return Uint32Array.from(this.st.get('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(mailboxId) as number[]);
  }

  /** First unseen UID (0: none) and the keywords in use, without the UIDs (getMailboxIndex with uids: false). */
  flagIndex(mailboxId: number): { firstUnseenUid: number; keywords: string[] } {
    const firstUnseen = this.st.get(FIRST_UNSEEN_SQL).pluck().get(mailboxId) as number | undefined;
    // One probe per distinct keywords column on migration 5's partial index (messages with keywords only),
    // instead of a scan of every message of the mailbox.
    const next = this.st.get(NEXT_KEYWORDS_SQL).pluck();
    const columns: string[] = [];
    for (let c = next.get(mailboxId, '') as string | undefined; c !== undefined; c = next.get(mailboxId, c) as string | undefined) {
      columns.push(c);
    }
    const keywords = new Set<string>();
    for (const c of columns) for (const k of keywordsFromColumn(c)) keywords.add(k);
    return { firstUnseenUid: firstUnseen ?? 0, keywords: [...keywords] };
  }

  /**
   * The \Recent range [from, to): to is the mailbox's uid_next (or `upTo`, capped by it). With claim, the
   * watermark moves to `to`, so no later claim gets these messages.
   */
  recent(mailboxId: number, opts: { claim: boolean; upTo?: number }): { from: number; to: number } {
    const r = this.st.get(RECENT_SQL).get(mailboxId) as { f: number; n: number } | undefined;
    if (r === undefined) throw new StoreError('not-found', `mailbox ${mailboxId} not found`);
    const to = Math.min(r.n, opts.upTo ?? r.n);
    const from = Math.min(r.f, to);
    if (opts.claim && to > r.f) this.st.get('UPDATE mailboxes SET first_recent_uid = ? WHERE id = ?').run(to, mailboxId);
    return { from, to };
  }

  /** STATUS RECENT: messages not yet claimed by any session. */
  recentCount(mailboxId: number): number {
    return this.st
      .get('SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid >= (SELECT first_recent_uid FROM mailboxes WHERE id = ?)')
      .pluck()
      .get(mailboxId, mailboxId) as number;
  }
}

/** Writes lo, lo + 1, ... into `out` (the UIDs of a gap-free mailbox). */
function fillRange(out: Uint32Array, lo: number): Uint32Array {
  for (let i = 0; i < out.length; i++) out[i] = lo + i;
  return out;
}
