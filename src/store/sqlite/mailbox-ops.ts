/**
 * Mailboxes and subscriptions on SQLite. Synchronous; SqliteStore wraps each public call in a transaction.
 *
 * Names use '/' as the hierarchy separator; "INBOX" is case-insensitive (RFC 3501 §5.1) and always stored as
 * "INBOX" (also as the first segment of its children). UIDVALIDITY is seconds since the epoch, kept strictly
 * increasing across the whole database (meta.last_uidvalidity), so a re-created name never repeats one.
 */

import { StoreError } from '../../lib/errors.js';
import type { Mailbox, MailboxChange, MailboxStatus, SpecialUse } from '../types.js';
import { DELETED, hasControlChar, SEEN } from './flags.js';
import type { Statements } from './statements.js';

interface MailboxRow {
  id: number;
  account_id: number;
  name: string;
  special_use: SpecialUse | null;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
}

const SPECIAL_USES: ReadonlySet<string> = new Set(['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged']);

export function toMailbox(r: MailboxRow): Mailbox {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    specialUse: r.special_use,
    uidValidity: r.uid_validity,
    uidNext: r.uid_next,
    highestModseq: r.highest_modseq,
  };
}

/** Canonical spelling of a mailbox name, or 'invalid'. A single trailing separator is dropped. */
export function normalizeMailboxName(name: string): string {
  let n = name.endsWith('/') ? name.slice(0, -1) : name;
  const segments = n.split('/');
  if (n === '' || segments.some((s) => s === '') || /[*%]/.test(n) || hasControlChar(n)) {
    throw new StoreError('invalid', `invalid mailbox name ${JSON.stringify(name)}`);
  }
  if (segments[0]!.toUpperCase() === 'INBOX') {
    segments[0] = 'INBOX';
    n = segments.join('/');
  }
  return n;
}

function parentsOf(name: string): string[] {
  const segs = name.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) out.push(segs.slice(0, i).join('/'));
  return out;
}

/** Escapes LIKE wildcards so "a_b/%" matches literally (ESCAPE '\'). */
function likePrefix(name: string): string {
  return name.replace(/[\\%_]/g, (c) => '\\' + c) + '/%';
}

export class MailboxOps {
  constructor(private readonly st: Statements) {}

  /** Next UIDVALIDITY: now in seconds, but always above every one handed out before. */
  private nextUidValidity(): number {
    const last = (this.st.get("SELECT value FROM meta WHERE key = 'last_uidvalidity'").pluck().get() as number | undefined) ?? 0;
    const v = Math.max(Math.floor(Date.now() / 1000), last + 1);
    if (v > 0xffffffff) throw new StoreError('conflict', 'UIDVALIDITY space exhausted');
    this.st.get("INSERT INTO meta (key, value) VALUES ('last_uidvalidity', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(v);
    return v;
  }

  insertMailbox(accountId: number, name: string, specialUse: SpecialUse | null): Mailbox {
    if (specialUse !== null && !SPECIAL_USES.has(specialUse)) throw new StoreError('invalid', `unknown special-use ${specialUse}`);
    const info = this.st
      .get('INSERT INTO mailboxes (account_id, name, special_use, uid_validity) VALUES (?, ?, ?, ?)')
      .run(accountId, name, specialUse, this.nextUidValidity());
    return this.byId(Number(info.lastInsertRowid))!;
  }

  byId(id: number): Mailbox | null {
    const r = this.st.get('SELECT * FROM mailboxes WHERE id = ?').get(id) as MailboxRow | undefined;
    return r === undefined ? null : toMailbox(r);
  }

  byName(accountId: number, name: string): Mailbox | null {
    let n: string;
    try {
      n = normalizeMailboxName(name);
    } catch {
      return null;
    }
    const r = this.st.get('SELECT * FROM mailboxes WHERE account_id = ? AND name = ?').get(accountId, n) as MailboxRow | undefined;
    return r === undefined ? null : toMailbox(r);
  }

  requireById(id: number): Mailbox {
    const m = this.byId(id);
    if (m === null) throw new StoreError('not-found', `mailbox ${id} not found`);
    return m;
  }

  list(accountId: number): Mailbox[] {
    const rows = this.st
      .get("SELECT * FROM mailboxes WHERE account_id = ? ORDER BY name <> 'INBOX', name")
      .all(accountId) as MailboxRow[];
    return rows.map(toMailbox);
  }

  private requireAccount(accountId: number): void {
    if (this.st.get('SELECT 1 FROM accounts WHERE id = ?').get(accountId) === undefined) {
      throw new StoreError('not-found', `account ${accountId} not found`);
    }
  }

  /** RFC 3501 §6.3.3: creates missing superior names too. */
  create(accountId: number, name: string, specialUse: SpecialUse | null, events: MailboxChange[]): Mailbox {
    this.requireAccount(accountId);
    const n = normalizeMailboxName(name);
    if (this.byName(accountId, n) !== null) throw new StoreError('exists', `mailbox ${n} already exists`);
    for (const p of parentsOf(n)) {
      if (this.byName(accountId, p) === null) this.insertMailbox(accountId, p, null);
    }
    const mb = this.insertMailbox(accountId, n, specialUse);
    events.push({ kind: 'mailboxes', accountId });
    return mb;
  }

  /**
   * Deletes a mailbox and its messages. INBOX cannot be deleted; a mailbox with children is refused ('in-use')
   * because this store has no \Noselect placeholders (RFC 3501 §6.3.4 lets the server refuse).
   */
  delete(id: number, events: MailboxChange[]): void {
    const mb = this.requireById(id);
    if (mb.name === 'INBOX') throw new StoreError('invalid', 'INBOX cannot be deleted');
    const child = this.st
      .get("SELECT 1 FROM mailboxes WHERE account_id = ? AND name LIKE ? ESCAPE '\\' LIMIT 1")
      .get(mb.accountId, likePrefix(mb.name));
    if (child !== undefined) throw new StoreError('in-use', `mailbox ${mb.name} has children; delete them first`);
    const uids = this.st.get('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(id) as number[];
    this.st.get('DELETE FROM mailboxes WHERE id = ?').run(id);
    // Always published, also for an empty mailbox: sessions that have it selected learn it is gone.
    events.push({ kind: 'expunge', mailboxId: id, uids, modseq: mb.highestModseq + 1, mailboxDeleted: true });
    events.push({ kind: 'mailboxes', accountId: mb.accountId });
  }

  /**
   * Renames a mailbox and its children ("a" → "b" also renames "a/x" to "b/x"), keeping UIDVALIDITY; missing
   * parents of the new name are created; subscriptions follow. RFC 3501 §6.3.5: renaming INBOX moves its
   * messages to a new mailbox and leaves INBOX empty (its children stay where they are).
   */
  rename(id: number, newName: string, events: MailboxChange[]): Mailbox {
    const mb = this.requireById(id);
    const to = normalizeMailboxName(newName);
    if (to === mb.name) throw new StoreError('exists', `mailbox ${to} already exists`);
    if (to.startsWith(mb.name + '/')) throw new StoreError('invalid', `cannot rename ${mb.name} into itself`);
    if (this.byName(mb.accountId, to) !== null) throw new StoreError('exists', `mailbox ${to} already exists`);
    if (mb.name === 'INBOX') {
      for (const p of parentsOf(to)) if (this.byName(mb.accountId, p) === null) this.insertMailbox(mb.accountId, p, null);
      const dest = this.insertMailbox(mb.accountId, to, null);
      const modseq = mb.highestModseq + 1;
      const uids = this.st.get('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(id) as number[];
      // The new mailbox has a fresh UIDVALIDITY, so the messages may keep their UIDs.
      this.st.get('UPDATE messages SET mailbox_id = ? WHERE mailbox_id = ?').run(dest.id, id);
      this.st
        .get('UPDATE mailboxes SET uid_next = ?, highest_modseq = ? WHERE id = ?')
        .run(mb.uidNext, mb.highestModseq, dest.id);
      if (uids.length > 0) {
        this.st.get('UPDATE mailboxes SET highest_modseq = ? WHERE id = ?').run(modseq, id);
        const tomb = this.st.get('INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)');
        for (const uid of uids) tomb.run(id, uid, modseq);
        events.push({ kind: 'expunge', mailboxId: id, uids, modseq });
      }
      events.push({ kind: 'mailboxes', accountId: mb.accountId });
      return this.byId(dest.id)!;
    }
    const children = this.st
      .get("SELECT id, name FROM mailboxes WHERE account_id = ? AND name LIKE ? ESCAPE '\\'")
      .all(mb.accountId, likePrefix(mb.name)) as Array<{ id: number; name: string }>;
    for (const c of children) {
      const target = to + c.name.slice(mb.name.length);
      if (this.byName(mb.accountId, target) !== null) throw new StoreError('exists', `mailbox ${target} already exists`);
    }
    for (const p of parentsOf(to)) if (this.byName(mb.accountId, p) === null) this.insertMailbox(mb.accountId, p, null);
    const renameOne = this.st.get('UPDATE mailboxes SET name = ? WHERE id = ?');
    const renameSub = this.st.get('UPDATE OR REPLACE subscriptions SET name = ? WHERE account_id = ? AND name = ?');
    renameOne.run(to, id);
    renameSub.run(to, mb.accountId, mb.name);
    for (const c of children) {
      const target = to + c.name.slice(mb.name.length);
      renameOne.run(target, c.id);
      renameSub.run(target, mb.accountId, c.name);
    }
    events.push({ kind: 'mailboxes', accountId: mb.accountId });
    return this.byId(id)!;
  }

  listSubscriptions(accountId: number): string[] {
    return this.st.get('SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name').pluck().all(accountId) as string[];
  }

  /** RFC 3501 §6.3.6: a name may be subscribed whether or not the mailbox exists. */
  setSubscribed(accountId: number, name: string, subscribed: boolean): void {
    this.requireAccount(accountId);
    const n = normalizeMailboxName(name);
    if (subscribed) this.st.get('INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)').run(accountId, n);
    else this.st.get('DELETE FROM subscriptions WHERE account_id = ? AND name = ?').run(accountId, n);
  }

  status(id: number): MailboxStatus {
    const mb = this.requireById(id);
    const r = this.st
      .get(
        `SELECT count(*) AS messages, coalesce(sum((sys_flags & ${SEEN}) = 0), 0) AS unseen,
                coalesce(sum((sys_flags & ${DELETED}) <> 0), 0) AS deleted, coalesce(sum(size), 0) AS size
         FROM messages WHERE mailbox_id = ?`,
      )
      .get(id) as { messages: number; unseen: number; deleted: number; size: number };
    return { ...r, uidNext: mb.uidNext, uidValidity: mb.uidValidity, highestModseq: mb.highestModseq };
  }

  usage(accountId: number): { bytes: number; messages: number } {
    const r = this.st
      .get(
        `SELECT coalesce(sum(m.size), 0) AS bytes, count(*) AS messages
         FROM mailboxes b JOIN messages m ON m.mailbox_id = b.id WHERE b.account_id = ?`,
      )
      .get(accountId) as { bytes: number; messages: number };
    return r;
  }
}
