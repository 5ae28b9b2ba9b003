/**
 * The outbound queue on SQLite (QueueStore): entries with per-recipient state. Synchronous; SqliteStore runs
 * each call inside one transaction (a group-commit savepoint), so claimDue's select-and-mark is atomic within
 * the database and two claims, even in one batch, run one after the other and never share an entry.
 *
 * States (DESIGN.md "Durability"): queued → active → deferred | done | held; requeueActive() after a restart.
 */

import { StoreError } from '../../lib/errors.js';
import type { DsnNotify, QueueEntry, QueueEntryInput, QueueRecipient, QueueState, RecipientState } from '../types.js';
import { newQueueId } from './queue-id.js';
import type { Statements } from './statements.js';

const STATES: ReadonlySet<string> = new Set(['queued', 'active', 'deferred', 'held', 'done']);
const RCPT_STATES: ReadonlySet<string> = new Set(['pending', 'delivered', 'failed', 'deferred']);

interface EntryRow {
  id: string;
  sender: string;
  blob_id: string;
  size: number;
  envid: string | null;
  ret: 'FULL' | 'HDRS' | null;
  smtputf8: number;
  eight_bit: number;
  state: QueueState;
  created_at: number;
  next_attempt_at: number;
  attempts: number;
  last_error: string | null;
  delay_warned: number;
}

interface RecipientRow {
  queue_id: string;
  address: string;
  orcpt: string | null;
  notify: string | null;
  state: RecipientState;
  last_result: string | null;
  attempts: number;
}

function checkState(s: string): void {
  if (!STATES.has(s)) throw new StoreError('invalid', `unknown queue state ${s}`);
}

function toRecipient(r: RecipientRow): QueueRecipient {
  return {
    address: r.address,
    orcpt: r.orcpt,
    notify: r.notify === null ? null : (r.notify.split(',') as DsnNotify[]),
    state: r.state,
    lastResult: r.last_result,
    attempts: r.attempts,
  };
}

function toEntry(r: EntryRow, recipients: QueueRecipient[]): QueueEntry {
  return {
    id: r.id,
    sender: r.sender,
    recipients,
    blobId: r.blob_id,
    size: r.size,
    envid: r.envid,
    ret: r.ret,
    smtputf8: r.smtputf8 !== 0,
    eightBit: r.eight_bit !== 0,
    state: r.state,
    createdAt: new Date(r.created_at),
    nextAttemptAt: new Date(r.next_attempt_at),
    attempts: r.attempts,
    lastError: r.last_error,
    delayWarned: r.delay_warned !== 0,
  };
}

export class QueueOps {
  constructor(private readonly st: Statements) {}

  private withRecipients(rows: EntryRow[]): QueueEntry[] {
    if (rows.length === 0) return [];
    const rcpts = this.st
      .get('SELECT * FROM queue_recipients WHERE queue_id IN (SELECT value FROM json_each(?)) ORDER BY queue_id, position')
      .all(JSON.stringify(rows.map((r) => r.id))) as RecipientRow[];
    const byId = new Map<string, QueueRecipient[]>();
    for (const r of rcpts) {
      let list = byId.get(r.queue_id);
      if (list === undefined) byId.set(r.queue_id, (list = []));
      list.push(toRecipient(r));
    }
    return rows.map((r) => toEntry(r, byId.get(r.id) ?? []));
  }

  get(id: string): QueueEntry | null {
    const r = this.st.get('SELECT * FROM queue WHERE id = ?').get(id) as EntryRow | undefined;
    return r === undefined ? null : this.withRecipients([r])[0]!;
  }

  private require(id: string): QueueEntry {
    const e = this.get(id);
    if (e === null) throw new StoreError('not-found', `queue entry ${id} not found`);
    return e;
  }

  enqueue(input: QueueEntryInput): QueueEntry {
    if (input.recipients.length === 0) throw new StoreError('invalid', 'a queue entry needs recipients');
    if (!/^[0-9a-f]{64}$/.test(input.blobId)) throw new StoreError('invalid', `bad blob id ${input.blobId}`);
    const now = Date.now();
    const id = newQueueId(now);
    this.st
      .get(
        `INSERT INTO queue (id, sender, blob_id, size, envid, ret, smtputf8, eight_bit, state, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
      )
      .run(
        id,
        input.sender,
        input.blobId,
        input.size,
        input.envid ?? null,
        input.ret ?? null,
        input.smtputf8 === true ? 1 : 0,
        input.eightBit === true ? 1 : 0,
        now,
        (input.nextAttemptAt ?? new Date(now)).getTime(),
      );
    const ins = this.st.get(
      "INSERT INTO queue_recipients (queue_id, position, address, orcpt, notify, state) VALUES (?, ?, ?, ?, ?, 'pending')",
    );
    input.recipients.forEach((r, i) => {
      ins.run(id, i, r.address, r.orcpt ?? null, r.notify == null ? null : r.notify.join(','));
    });
    return this.get(id)!;
  }

  list(state?: QueueState): QueueEntry[] {
    const rows =
      state === undefined
        ? this.st.get('SELECT * FROM queue ORDER BY id').all()
        : this.st.get('SELECT * FROM queue WHERE state = ? ORDER BY id').all(state);
    return this.withRecipients(rows as EntryRow[]);
  }

  claimDue(now: Date, limit: number): QueueEntry[] {
    if (!Number.isSafeInteger(limit) || limit < 1) return [];
    const rows = this.st
      .get(
        `UPDATE queue SET state = 'active' WHERE id IN (
           SELECT id FROM queue WHERE state IN ('queued', 'deferred') AND next_attempt_at <= ?
           ORDER BY next_attempt_at, id LIMIT ?)
         RETURNING *`,
      )
      .all(now.getTime(), limit) as EntryRow[];
    rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || (a.id < b.id ? -1 : 1));
    return this.withRecipients(rows);
  }

  recordAttempt(
    id: string,
    update: {
      recipients: Array<{ address: string; state: RecipientState; lastResult: string | null }>;
      state: QueueState;
      nextAttemptAt?: Date;
      lastError?: string | null;
      delayWarned?: boolean;
    },
  ): QueueEntry {
    const cur = this.require(id);
    checkState(update.state);
    const setRcpt = this.st.get(
      'UPDATE queue_recipients SET state = ?, last_result = ?, attempts = attempts + 1 WHERE queue_id = ? AND address = ?',
    );
    for (const r of update.recipients) {
      if (!RCPT_STATES.has(r.state)) throw new StoreError('invalid', `unknown recipient state ${r.state}`);
      if (setRcpt.run(r.state, r.lastResult, id, r.address).changes === 0) {
        throw new StoreError('not-found', `queue entry ${id} has no recipient ${r.address}`);
      }
    }
    this.st
      .get('UPDATE queue SET state = ?, next_attempt_at = ?, attempts = attempts + 1, last_error = ?, delay_warned = ? WHERE id = ?')
      .run(
        update.state,
        (update.nextAttemptAt ?? cur.nextAttemptAt).getTime(),
        update.lastError === undefined ? cur.lastError : update.lastError,
        (update.delayWarned ?? cur.delayWarned) ? 1 : 0,
        id,
      );
    return this.get(id)!;
  }

  /**
   * The last attempt of an entry: every recipient in `recipients` gets its final state (delivered or failed),
   * then the entry and its recipients are deleted, in the caller's one transaction (so "recorded" and "gone"
   * are one commit). Refused (`invalid`) while any recipient of the entry would still be pending or deferred;
   * `not-found` for an unknown entry or recipient.
   */
  complete(id: string, recipients: Array<{ address: string; state: RecipientState; lastResult: string | null }>): void {
    const setRcpt = this.st.get(
      'UPDATE queue_recipients SET state = ?, last_result = ?, attempts = attempts + 1 WHERE queue_id = ? AND address = ?',
    );
    for (const r of recipients) {
      if (r.state !== 'delivered' && r.state !== 'failed') {
        throw new StoreError('invalid', `completing queue entry ${id} with a ${r.state} recipient ${r.address}`);
      }
      if (setRcpt.run(r.state, r.lastResult, id, r.address).changes === 0) {
        throw new StoreError('not-found', `queue entry ${id} has no recipient ${r.address}`);
      }
    }
    const open = this.st
      .get("SELECT address FROM queue_recipients WHERE queue_id = ? AND state NOT IN ('delivered', 'failed') LIMIT 1")
      .get(id) as { address: string } | undefined;
    if (open !== undefined) throw new StoreError('invalid', `queue entry ${id} still has recipient ${open.address} to deliver`);
    this.delete(id);
  }

  setState(id: string, state: QueueState, nextAttemptAt?: Date): QueueEntry {
    const cur = this.require(id);
    checkState(state);
    this.st
      .get('UPDATE queue SET state = ?, next_attempt_at = ? WHERE id = ?')
      .run(state, (nextAttemptAt ?? cur.nextAttemptAt).getTime(), id);
    return this.get(id)!;
  }

  delete(id: string): void {
    if (this.st.get('DELETE FROM queue WHERE id = ?').run(id).changes === 0) {
      throw new StoreError('not-found', `queue entry ${id} not found`);
    }
  }

  requeueActive(): number {
    return this.st.get("UPDATE queue SET state = 'queued' WHERE state = 'active'").run().changes;
  }
}
