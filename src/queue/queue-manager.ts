/**
 * The outbound queue manager (Postfix's qmgr in one module): a scheduler that claims due entries from the
 * store, delivers them through a `Transport`, records per-recipient results and retries with backoff.
 *
 * Invariants:
 * - The active set is bounded: at most `concurrency` entries are claimed ('active') at once, and at most
 *   `concurrency` deliveries (one per destination domain of an entry) run at once, `concurrencyPerDomain`
 *   of them to one domain.
 * - A recipient is never lost: every attempted recipient ends delivered, failed (with a DSN when NOTIFY
 *   allows and the sender is not null) or deferred (retried). DSNs are sent BEFORE the attempt is recorded,
 *   so a crash in between repeats a DSN rather than losing one (at-least-once, DESIGN.md "Durability").
 * - Store calls are few (each write is a commit, fsync'd): a finished entry is recorded and deleted in one
 *   call (completeQueueEntry), and wake-ups of one event-loop turn are coalesced into one claim of every free
 *   slot (completions that shared a group commit resolve in the same turn).
 * - `start()` puts entries left 'active' by a crash or kill -9 back to 'queued' (requeueActive), so they
 *   are delivered again: at least once, never zero times.
 * - Backoff: retry_initial doubling up to retry_max (retry-policy.ts); after max_lifetime the remaining
 *   recipients fail (5.4.7, RFC 3463 "delivery time expired"); one delay warning after delay_warning.
 * - The store is polled every `pollIntervalMs` (the CLI's flush/retry run in another process), and
 *   `wake()` runs the scheduler at once (new mail enqueued in this process).
 * - Never bounce a bounce: an entry with the null sender gets no DSN (RFC 3461 §6.2, RFC 5321 §4.5.5).
 *
 * Side effects: store reads/writes, blob reads, the transport's network traffic, DSN deliveries; timers.
 */

import type { Logger } from '../lib/logger.js';
import type { BlobStore, QueueEntry, QueueRecipient, QueueStore, RecipientState } from '../store/types.js';
import { buildDsn, notifyAllows, type DsnAction, type DsnRecipient } from './dsn.js';
import type { DsnDelivery } from './dsn-delivery.js';
import { delayWarningDue, isExpired, nextAttemptAt, type RetryPolicy } from './retry-policy.js';
import type { RecipientDeliveryResult, Transport } from './transport.js';

export type QueueManagerStore = { readonly blobs: BlobStore } & Pick<
  QueueStore,
  'claimDue' | 'recordAttempt' | 'completeQueueEntry' | 'requeueActive' | 'getQueueEntry'
>;

export interface QueueManagerOptions {
  store: QueueManagerStore;
  transport: Transport;
  dsn: DsnDelivery;
  policy: RetryPolicy;
  /** server.hostname: Reporting-MTA of DSNs. */
  hostname: string;
  concurrency: number;
  concurrencyPerDomain: number;
  /** How often the store is polled for due entries; default 5000 ms. */
  pollIntervalMs?: number;
  /** Keep finished entries in state 'done' instead of deleting them (default false). */
  keepDone?: boolean;
  log?: Logger;
  now?: () => Date;
}

/** A counting semaphore with a FIFO of waiters. */
class Slots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  get busy(): boolean {
    return this.used > 0 || this.waiters.length > 0;
  }
  acquire(): Promise<void> {
    if (this.used < this.limit) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** Groups recipients by destination domain, keeping the first-seen order. */
export function groupByDomain<T extends { address: string }>(recipients: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of recipients) {
    const d = domainOf(r.address);
    const list = groups.get(d) ?? [];
    list.push(r);
    groups.set(d, list);
  }
  return groups;
}

export class QueueManager {
  private readonly opts: QueueManagerOptions;
  private readonly now: () => Date;
  private readonly active = new Map<string, Promise<void>>();
  private readonly connections: Slots;
  private readonly perDomain = new Map<string, Slots>();
  private pollTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private ticking = false;
  private tickScheduled = false;
  private again = false;
  private running = false;

  constructor(opts: QueueManagerOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    this.connections = new Slots(Math.max(1, opts.concurrency));
  }

  /** Entries being delivered right now. */
  get activeCount(): number {
    return this.active.size;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const requeued = await this.opts.store.requeueActive();
    if (requeued > 0) this.opts.log?.info({ requeued }, 'queue: entries left active by a previous run requeued');
    this.running = true;
    this.pollTimer = setInterval(() => this.wake(), this.opts.pollIntervalMs ?? 5000);
    this.pollTimer.unref();
    this.wake();
  }

  /**
   * Runs the scheduler soon (call after enqueueing): at the end of this event-loop turn, so that every wake-up
   * of the turn (say, several entries finishing together) shares one claimDue of all the free slots.
   */
  wake(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      if (!this.running) return;
      if (this.ticking) this.again = true;
      else void this.tick();
    });
  }

  /**
   * Stops claiming and waits for deliveries in flight until `deadline`. Entries still in flight then stay
   * 'active' in the store and are requeued by the next start().
   */
  async stop(deadline: Date): Promise<void> {
    this.running = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.pollTimer = this.wakeTimer = null;
    const wait = Math.max(0, deadline.getTime() - Date.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.active.values()]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, wait);
      }),
    ]);
    clearTimeout(timer);
    await this.opts.transport.close();
  }

  /** Resolves once no delivery is in flight (tests). */
  async drain(): Promise<void> {
    while (this.active.size > 0 || this.ticking || this.tickScheduled) {
      await Promise.allSettled([...this.active.values()]);
      await new Promise((r) => setImmediate(r));
    }
  }

  private scheduleWake(at: Date): void {
    if (!this.running) return;
    const t = at.getTime();
    if (t >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = t;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.wake();
    }, Math.max(0, t - Date.now()) + 5);
    this.wakeTimer.unref();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      do {
        this.again = false;
        const free = this.opts.concurrency - this.active.size;
        if (free <= 0 || !this.running) break;
        const claimed = await this.opts.store.claimDue(this.now(), free);
        for (const entry of claimed) this.launch(entry);
        if (claimed.length === free) this.again = true;
      } while (this.again && this.running);
    } catch (err) {
      this.opts.log?.error({ err }, 'queue: scheduler failed to claim entries');
    } finally {
      this.ticking = false;
    }
  }

  private launch(entry: QueueEntry): void {
    const p = this.process(entry)
      .catch((err: unknown) => this.opts.log?.error({ err, queueId: entry.id }, 'queue: processing an entry failed'))
      .finally(() => {
        this.active.delete(entry.id);
        this.wake();
      });
    this.active.set(entry.id, p);
  }

  private slotsFor(domain: string): Slots {
    let s = this.perDomain.get(domain);
    if (!s) this.perDomain.set(domain, (s = new Slots(Math.max(1, this.opts.concurrencyPerDomain))));
    return s;
  }

  private async deliverGroup(entry: QueueEntry, domain: string, rcpts: QueueRecipient[], data: Buffer): Promise<RecipientDeliveryResult[]> {
    const domainSlots = this.slotsFor(domain);
    await domainSlots.acquire();
    await this.connections.acquire();
    try {
      return await this.opts.transport.deliver({
        id: entry.id,
        sender: entry.sender,
        recipients: rcpts.map((r) => r.address),
        domain,
        smtputf8: entry.smtputf8,
        eightBit: entry.eightBit,
        data,
      });
    } catch (err) {
      // A transport bug must not lose the message: defer.
      this.opts.log?.error({ err, queueId: entry.id, domain }, 'queue: transport threw');
      return rcpts.map((r) => ({ address: r.address, status: 'deferred', code: 451, enhanced: '4.3.0', reply: 'Local transport error', remote: false, remoteMta: null }));
    } finally {
      this.connections.release();
      domainSlots.release();
      if (!domainSlots.busy) this.perDomain.delete(domain);
    }
  }

  private async process(entry: QueueEntry): Promise<void> {
    const { store, policy, log } = this.opts;
    const todo = entry.recipients.filter((r) => r.state === 'pending' || r.state === 'deferred');
    let results: RecipientDeliveryResult[];
    let data: Buffer | null = null;
    try {
      data = await store.blobs.read(entry.blobId);
    } catch (err) {
      log?.error({ err, queueId: entry.id }, 'queue: message body unreadable; deferring');
    }
    if (data === null) {
      results = todo.map((r) => ({ address: r.address, status: 'deferred', code: 451, enhanced: '4.3.0', reply: 'Message body unreadable', remote: false, remoteMta: null }));
    } else {
      const body = data;
      const groups = [...groupByDomain(todo).entries()];
      results = (await Promise.all(groups.map(([domain, rcpts]) => this.deliverGroup(entry, domain, rcpts, body)))).flat();
    }

    const now = this.now();
    const expired = isExpired(policy, entry.createdAt, now);
    const byAddress = new Map(results.map((r) => [r.address, r]));
    const updates: Array<{ rcpt: QueueRecipient; result: RecipientDeliveryResult; state: RecipientState }> = [];
    for (const rcpt of todo) {
      let result = byAddress.get(rcpt.address) ?? {
        address: rcpt.address, status: 'deferred', code: 451, enhanced: '4.3.0', reply: 'No result from transport', remote: false, remoteMta: null,
      };
      if (result.status === 'deferred' && expired) {
        // RFC 5321 §4.5.4.1 gives up after the lifetime; RFC 3463 X.4.7: delivery time expired.
        result = { ...result, status: 'failed', enhanced: '5.4.7', reply: `${result.reply} (gave up: message too old)` };
      }
      updates.push({ rcpt, result, state: result.status });
    }
    for (const u of updates) {
      log?.info(
        { queueId: entry.id, to: u.rcpt.address, status: u.state, relay: u.result.remoteMta, reply: u.result.reply },
        'queue: delivery attempt',
      );
    }

    const stillDeferred = updates.some((u) => u.state === 'deferred');
    const warn = stillDeferred && delayWarningDue(policy, entry.createdAt, entry.delayWarned, now);
    if (entry.sender !== '' && data !== null) await this.sendDsns(entry, data, updates, warn, now);

    const next = nextAttemptAt(policy, entry.createdAt, entry.attempts, now);
    const lastError = updates.find((u) => u.state !== 'delivered')?.result.reply ?? null;
    let state: QueueEntry['state'] = stillDeferred ? 'deferred' : 'done';
    try {
      // An admin may have held the entry while it was in flight: keep it held.
      const current = await store.getQueueEntry(entry.id);
      if (current === null) return; // deleted meanwhile
      if (current.state === 'held' && state === 'deferred') state = 'held';
      const recipients = updates.map((u) => ({ address: u.rcpt.address, state: u.state, lastResult: `${u.result.reply}` }));
      if (state === 'done' && !this.opts.keepDone) {
        // Every recipient is final: record and delete in one commit.
        await store.completeQueueEntry(entry.id, recipients);
      } else {
        await store.recordAttempt(entry.id, {
          recipients,
          state,
          nextAttemptAt: stillDeferred ? next : now,
          lastError,
          ...(warn ? { delayWarned: true } : {}),
        });
      }
    } catch (err) {
      log?.error({ err, queueId: entry.id }, 'queue: recording the attempt failed');
      return;
    }
    if (state === 'deferred') this.scheduleWake(next);
  }

  private async sendDsns(
    entry: QueueEntry,
    data: Buffer,
    updates: Array<{ rcpt: QueueRecipient; result: RecipientDeliveryResult; state: RecipientState }>,
    warn: boolean,
    now: Date,
  ): Promise<void> {
    const willRetryUntil = new Date(entry.createdAt.getTime() + this.opts.policy.lifetimeMs);
    const toDsn = (u: (typeof updates)[number], action: DsnAction): DsnRecipient => ({
      address: u.rcpt.address,
      orcpt: u.rcpt.orcpt,
      action,
      status: action === 'relayed' ? '2.0.0' : u.result.enhanced,
      remoteMta: u.result.remoteMta,
      diagnostic: u.result.reply,
      diagnosticIsSmtp: u.result.remote,
      lastAttempt: now,
      willRetryUntil,
    });
    // RFC 3461 §4.1 NOTIFY per recipient; RFC 3461 §5.2.2: a next hop without our DSN parameters makes a
    // success "relayed" (we do not pass NOTIFY on).
    const batches: Array<{ recipients: DsnRecipient[] }> = [
      { recipients: updates.filter((u) => u.state === 'failed' && notifyAllows(u.rcpt.notify, 'failure')).map((u) => toDsn(u, 'failed')) },
      { recipients: warn ? updates.filter((u) => u.state === 'deferred' && notifyAllows(u.rcpt.notify, 'delay')).map((u) => toDsn(u, 'delayed')) : [] },
      { recipients: updates.filter((u) => u.state === 'delivered' && notifyAllows(u.rcpt.notify, 'success')).map((u) => toDsn(u, 'relayed')) },
    ];
    for (const b of batches) {
      if (b.recipients.length === 0) continue;
      try {
        const dsn = buildDsn({
          reportingMta: this.opts.hostname,
          originalSender: entry.sender,
          envid: entry.envid,
          arrivalDate: entry.createdAt,
          recipients: b.recipients,
          original: data,
          ret: entry.ret,
          date: now,
        });
        await this.opts.dsn.send(entry.sender, dsn);
        this.opts.log?.info({ queueId: entry.id, to: entry.sender, action: b.recipients[0]!.action }, 'queue: DSN sent');
      } catch (err) {
        this.opts.log?.error({ err, queueId: entry.id, to: entry.sender }, 'queue: DSN could not be delivered');
      }
    }
  }
}
