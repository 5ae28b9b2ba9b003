/**
 * ChangeFeed within one process: the store publishes after its transaction commits, listeners run
 * synchronously in subscription order. A throwing listener is reported as a process warning and does not
 * stop the others (nor the store call that published).
 */

import type { ChangeFeed, MailboxChange } from '../types.js';

type Listener = (change: MailboxChange) => void;

export class MemoryChangeFeed implements ChangeFeed {
  private readonly byMailbox = new Map<number, Set<Listener>>();
  private readonly byAccount = new Map<number, Set<Listener>>();

  subscribe(target: { mailboxId: number } | { accountId: number }, listener: Listener): () => void {
    const [map, key] = 'mailboxId' in target ? [this.byMailbox, target.mailboxId] : [this.byAccount, target.accountId];
    let set = map.get(key);
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    // Wrap so the same function may be subscribed twice and unsubscribed independently.
    const entry: Listener = (c) => listener(c);
    set.add(entry);
    const s = set;
    return () => {
      s.delete(entry);
      if (s.size === 0 && map.get(key) === s) map.delete(key);
    };
  }

  publish(change: MailboxChange): void {
    const set = change.kind === 'mailboxes' ? this.byAccount.get(change.accountId) : this.byMailbox.get(change.mailboxId);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(change);
      } catch (e) {
        process.emitWarning(`change feed listener failed: ${String(e)}`, { type: 'PochtaChangeFeed' });
      }
    }
  }
}
