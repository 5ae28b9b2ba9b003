/**
 * The outbound queue as a delivery target (DESIGN.md "The queue is a target too"). This is the minimal
 * store-backed version: it records remote recipients and, at commit, makes ONE queue entry referencing the
 * message's blob. Scheduling, retries and DSNs belong to queue/ (a later issue implements the same Target).
 *
 * RFC 3461 §4.2: when a recipient was reached through alias expansion and the client gave no ORCPT, the
 * original envelope address is recorded as ORCPT so that a later DSN names what the sender wrote.
 *
 * Side effects: at body(), a blob write when the caller did not store the bytes; at commit(), store.enqueue.
 */

import { MailError } from '../lib/errors.js';
import type { BlobRef, BlobStore, QueueEntry, QueueStore } from '../store/types.js';
import type { DeliveryTarget, Envelope, MessageBody, RecipientResult, RoutedRecipient, Target } from './types.js';

export type QueueTargetStore = { readonly blobs: BlobStore } & Pick<QueueStore, 'enqueue'>;

/** ORCPT for a routed recipient: the client's, else the original address when expansion changed it. */
export function orcptFor(rcpt: RoutedRecipient): string | null {
  if (rcpt.original.orcpt != null) return rcpt.original.orcpt;
  return rcpt.address === rcpt.original.address ? null : `rfc822;${rcpt.original.address}`;
}

/** Makes one queue entry for the remote recipients of a message whose body is already in the BlobStore. */
export function enqueueRemote(
  store: Pick<QueueStore, 'enqueue'>,
  envelope: Readonly<Envelope>,
  blob: BlobRef,
  recipients: readonly RoutedRecipient[],
): Promise<QueueEntry> {
  return store.enqueue({
    sender: envelope.sender,
    recipients: recipients.map((r) => ({ address: r.address, orcpt: orcptFor(r), notify: r.original.notify ?? null })),
    blobId: blob.id,
    size: blob.size,
    envid: envelope.envid ?? null,
    ret: envelope.ret ?? null,
    smtputf8: envelope.smtputf8,
    eightBit: envelope.body !== '7BIT',
  });
}

export class QueueTarget implements Target {
  readonly name = 'queue';
  /** `onEnqueued` is told after each commit that queued mail (the queue wakes instead of waiting for its poll). */
  constructor(
    private readonly store: QueueTargetStore,
    private readonly onEnqueued?: () => void,
  ) {}

  async start(envelope: Readonly<Envelope>): Promise<DeliveryTarget> {
    const store = this.store;
    const onEnqueued = this.onEnqueued;
    const recipients: RoutedRecipient[] = [];
    let blob: BlobRef | null = null;
    let done = false;
    return {
      async addRcpt(rcpt: RoutedRecipient): Promise<void> {
        recipients.push(rcpt);
      },
      async body(body: MessageBody): Promise<void> {
        blob = body.blob ?? (await store.blobs.put(body.data));
      },
      async commit(): Promise<RecipientResult[]> {
        if (blob === null) throw new Error('commit() before body()');
        if (done) throw new Error('commit() called twice');
        done = true;
        if (recipients.length === 0) return [];
        try {
          // Two envelope recipients expanding to one remote address are sent once.
          const unique = recipients.filter((r, i) => recipients.findIndex((q) => q.address === r.address) === i);
          const entry = await enqueueRemote(store, envelope, blob, unique);
          onEnqueued?.();
          return recipients.map((recipient) => ({ recipient, error: null, queueId: entry.id }));
        } catch (cause) {
          const error = new MailError('Temporary local problem', { cause });
          return recipients.map((recipient) => ({ recipient, error }));
        }
      },
      async abort(): Promise<void> {
        done = true;
      },
    };
  }
}
