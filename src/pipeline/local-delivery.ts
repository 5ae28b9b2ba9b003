/**
 * Local delivery target: one message to many local accounts, with the body stored ONCE.
 *
 * - `body()` writes the bytes to the BlobStore (durable when put() resolves; skipped when the caller already
 *   stored them) and parses them once (MIME structure + search text). The blob is unreferenced until commit,
 *   and the garbage collector's grace period keeps it alive meanwhile.
 * - `commit()` calls store.deliver once, in one transaction, with a per-recipient prefix of
 *   `Return-Path` (RFC 5321 §4.4: added at final delivery) and `Delivered-To` (qmail/Postfix practice, what
 *   loop.ts looks for). The Received header belongs to the shared body: the caller prepends it.
 * - Quota (RFC 3463 X.2.2 "mailbox full"): refused at addRcpt when the account is already at or over its
 *   quota, and per recipient at body() when this message would exceed it; 452 4.2.2 (temporary, default,
 *   like Dovecot's quota_full_tempfail) or 552 5.2.2 (permanent) per config `over_quota`.
 * - Two recipients reaching the same account get one copy; both report its result.
 *
 * Results come back one per accepted recipient, in addRcpt order, for LMTP's per-recipient replies
 * (RFC 2033 §4.2).
 */

import { MailError, isStoreError } from '../lib/errors.js';
import { buildDeliveredTo, buildReturnPath } from '../mail/headers.js';
import { parseMessage } from '../mail/parse-message.js';
import { extractSearchText } from '../mail/search-text.js';
import type { BodyInput, DeliveryResult, MailStore, Store, DeliveryTarget as StoreDeliveryTarget } from '../store/types.js';
import type { DeliveryTarget, Envelope, MessageBody, RecipientResult, RoutedRecipient, Target } from './types.js';

export type OverQuotaPolicy = 'temporary' | 'permanent';

export interface LocalDeliveryOptions {
  /** Config `over_quota`: 452 4.2.2 (sender retries) or 552 5.2.2 (bounce). Default 'temporary'. */
  overQuota?: OverQuotaPolicy;
  /** Mailbox the message goes to (default INBOX; a missing mailbox also means INBOX). */
  mailbox?: string;
  /** Internal date of delivered messages (tests inject a clock). */
  now?: () => Date;
}

export type LocalDeliveryStore = Pick<Store, 'blobs'> & Pick<MailStore, 'deliver' | 'getUsage'>;

export function quotaError(policy: OverQuotaPolicy): MailError {
  return policy === 'permanent'
    ? new MailError('Mailbox full', { code: 552, enhanced: '5.2.2', temporary: false })
    : new MailError('Mailbox full, try again later', { code: 452, enhanced: '4.2.2', temporary: true });
}

/** The per-recipient header lines stored with each message row. */
export function deliveryPrefix(sender: string, recipient: string): string {
  return buildReturnPath(sender) + buildDeliveredTo(recipient);
}

export class LocalDelivery implements Target {
  readonly name = 'local';
  private readonly overQuota: OverQuotaPolicy;

  constructor(
    private readonly store: LocalDeliveryStore,
    private readonly opts: LocalDeliveryOptions = {},
  ) {
    this.overQuota = opts.overQuota ?? 'temporary';
  }

  async start(envelope: Readonly<Envelope>): Promise<DeliveryTarget> {
    return new LocalMessageDelivery(this.store, envelope, this.overQuota, this.opts);
  }
}

interface Pending {
  rcpt: RoutedRecipient;
  prefix: string;
  error: MailError | null;
}

class LocalMessageDelivery implements DeliveryTarget {
  private readonly pending: Pending[] = [];
  private readonly usage = new Map<number, number>();
  private bodyInput: BodyInput | null = null;
  private finished = false;

  constructor(
    private readonly store: LocalDeliveryStore,
    private readonly envelope: Readonly<Envelope>,
    private readonly overQuota: OverQuotaPolicy,
    private readonly opts: LocalDeliveryOptions,
  ) {}

  async addRcpt(rcpt: RoutedRecipient): Promise<void> {
    const account = rcpt.account;
    if (account === undefined) throw new MailError('Temporary local problem', { cause: new Error(`no account for ${rcpt.address}`) });
    // RFC 3463 X.2.1: mailbox disabled, not accepting messages.
    if (!account.enabled) throw new MailError('Mailbox disabled', { code: 550, enhanced: '5.2.1', temporary: false });
    if (account.quotaBytes > 0 && (await this.usedBytes(account.id)) >= account.quotaBytes) {
      throw quotaError(this.overQuota);
    }
    this.pending.push({ rcpt, prefix: deliveryPrefix(this.envelope.sender, rcpt.address), error: null });
  }

  async body(body: MessageBody): Promise<void> {
    if (this.finished) throw new Error('body() after commit/abort');
    const blob = body.blob ?? (await this.store.blobs.put(body.data));
    const structure = parseMessage(body.data);
    this.bodyInput = { blobId: blob.id, size: blob.size, structure, searchText: extractSearchText(body.data, structure) };
    // Per-recipient quota: would this copy (its prefix + the shared body) exceed the account's quota?
    const planned = new Map<number, number>();
    for (const p of this.pending) {
      const account = p.rcpt.account;
      if (account === undefined || account.quotaBytes === 0 || planned.has(account.id)) continue;
      const size = Buffer.byteLength(p.prefix) + blob.size;
      planned.set(account.id, size);
      if ((await this.usedBytes(account.id)) + size > account.quotaBytes) p.error = quotaError(this.overQuota);
    }
    for (const p of this.pending) {
      const first = this.pending.find((q) => q.rcpt.account?.id === p.rcpt.account?.id);
      if (first !== undefined && first !== p) p.error = first.error;
    }
  }

  async commit(): Promise<RecipientResult[]> {
    if (this.bodyInput === null) throw new Error('commit() before body()');
    if (this.finished) throw new Error('commit() called twice');
    this.finished = true;
    // One copy per account: the first recipient reaching it decides the prefix.
    const byAccount = new Map<number, number>();
    const targets: StoreDeliveryTarget[] = [];
    for (const p of this.pending) {
      const id = p.rcpt.account?.id;
      if (p.error !== null || id === undefined || byAccount.has(id)) continue;
      byAccount.set(id, targets.length);
      targets.push({ accountId: id, prefix: p.prefix, ...(this.opts.mailbox === undefined ? {} : { mailbox: this.opts.mailbox }) });
    }
    let delivered: DeliveryResult[] = [];
    let failure: MailError | null = null;
    if (targets.length > 0) {
      try {
        delivered = await this.store.deliver(this.bodyInput, targets, this.opts.now?.());
      } catch (cause) {
        failure = isStoreError(cause, 'over-quota')
          ? quotaError(this.overQuota)
          : new MailError('Temporary local problem', { cause });
      }
    }
    return this.pending.map((p): RecipientResult => {
      if (p.error !== null) return { recipient: p.rcpt, error: p.error };
      if (failure !== null) return { recipient: p.rcpt, error: failure };
      const index = byAccount.get(p.rcpt.account?.id ?? -1);
      const delivery = index === undefined ? undefined : delivered[index];
      if (delivery === undefined) return { recipient: p.rcpt, error: new MailError('Temporary local problem') };
      return { recipient: p.rcpt, error: null, delivery };
    });
  }

  async abort(): Promise<void> {
    // Nothing is referenced before commit; an already written blob is left to the garbage collector.
    this.finished = true;
    this.pending.length = 0;
  }

  private async usedBytes(accountId: number): Promise<number> {
    let used = this.usage.get(accountId);
    if (used === undefined) {
      used = (await this.store.getUsage(accountId)).bytes;
      this.usage.set(accountId, used);
    }
    return used;
  }
}
