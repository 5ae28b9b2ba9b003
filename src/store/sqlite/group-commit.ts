/**
 * Group commit: write calls arriving in the same event-loop turn share one SQLite transaction, so one WAL
 * fsync (synchronous=FULL) covers many deliveries. Each item runs in its own savepoint: a failing item is
 * rolled back alone and only its caller's promise rejects. Promises resolve, and change events are published,
 * only after the shared COMMIT returned (DESIGN.md "Durability": batch fsyncs, never skip them).
 */

import type { MailboxChange } from '../types.js';
import type { Db } from './statements.js';

interface Item {
  fn: (events: MailboxChange[]) => unknown;
  events: MailboxChange[];
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  ok: boolean;
  value: unknown;
  error: unknown;
}

export class GroupCommit {
  private pending: Item[] = [];
  private scheduled = false;

  /**
   * @param enabled false runs every item in its own transaction at once (for comparison and debugging).
   */
  constructor(
    private readonly db: Db,
    private readonly publish: (events: MailboxChange[]) => void,
    private readonly enabled: boolean,
  ) {}

  submit<T>(fn: (events: MailboxChange[]) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, events: [], resolve: resolve as (v: unknown) => void, reject, ok: false, value: undefined, error: undefined });
      if (!this.enabled) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs everything pending in one transaction now. */
  flush(): void {
    this.scheduled = false;
    const items = this.pending;
    if (items.length === 0) return;
    this.pending = [];
    try {
      this.db
        .transaction(() => {
          for (const item of items) {
            try {
              // A nested better-sqlite3 transaction is a SAVEPOINT: on throw only this item is rolled back.
              item.value = this.db.transaction(() => item.fn(item.events))();
              item.ok = true;
            } catch (e) {
              item.error = e;
              item.events.length = 0;
            }
          }
        })
        .immediate();
    } catch (e) {
      // BEGIN or COMMIT failed: nothing of this batch is stored.
      for (const item of items) item.reject(item.ok ? e : item.error ?? e);
      return;
    }
    for (const item of items) if (item.ok) this.publish(item.events);
    for (const item of items) {
      if (item.ok) item.resolve(item.value);
      else item.reject(item.error);
    }
  }
}
