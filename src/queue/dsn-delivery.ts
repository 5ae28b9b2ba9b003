/**
 * Delivers a DSN made by queue/dsn.ts to the original sender, with the null reverse-path (RFC 3461 §6.2,
 * RFC 5321 §4.5.5), so that a DSN is never answered by another DSN:
 * - a local sender (an account, or an alias/plus address the directory resolves to accounts) gets it in
 *   their INBOX through the local delivery target;
 * - any other sender gets it through the outbound queue (a new entry with sender '').
 *
 * Side effects: a local delivery (blob + message rows) or a blob plus a queue entry.
 */

import type { Directory } from '../directory/directory.js';
import type { Logger } from '../lib/logger.js';
import type { Envelope, RoutedRecipient, Target } from '../pipeline/types.js';
import type { Account, BlobStore, QueueEntry, QueueStore } from '../store/types.js';
import type { BuiltDsn } from './dsn.js';

export interface DsnDelivery {
  /** Sends `dsn` to `to`; rejects when it could not be handed to the INBOX or the queue. */
  send(to: string, dsn: BuiltDsn): Promise<void>;
}

export interface DsnDeliveryDeps {
  store: { readonly blobs: BlobStore } & Pick<QueueStore, 'enqueue'> & { getAccount(address: string): Promise<Account | null> };
  localDelivery: Target;
  /** Resolves aliases and plus addresses of local senders; without it only exact accounts count as local. */
  directory?: Pick<Directory, 'resolveRecipient'>;
  /** Called after a DSN was queued (the queue manager's wake()). */
  onEnqueued?: (entry: QueueEntry) => void;
  log?: Logger;
}

export function createDsnDelivery(deps: DsnDeliveryDeps): DsnDelivery {
  async function localTargets(to: string): Promise<{ local: RoutedRecipient[]; remote: string[] } | null> {
    const original = { address: to };
    if (deps.directory) {
      const res = await deps.directory.resolveRecipient(to);
      if (res.kind === 'not-local') return null;
      if (res.kind !== 'local') return { local: [], remote: [] };
      return { local: res.targets.map((t) => ({ address: t.address, account: t.account, original })), remote: res.remote };
    }
    const account = await deps.store.getAccount(to.toLowerCase());
    return account ? { local: [{ address: account.address, account, original }], remote: [] } : null;
  }

  async function enqueue(recipients: string[], dsn: BuiltDsn): Promise<void> {
    const blob = await deps.store.blobs.put(dsn.message);
    const entry = await deps.store.enqueue({
      sender: '',
      recipients: recipients.map((address) => ({ address })),
      blobId: blob.id,
      size: blob.size,
      smtputf8: dsn.smtputf8,
      eightBit: dsn.eightBit,
    });
    deps.onEnqueued?.(entry);
  }

  return {
    async send(to, dsn) {
      const routed = await localTargets(to);
      if (routed === null) {
        await enqueue([to], dsn);
        return;
      }
      if (routed.local.length === 0 && routed.remote.length === 0) {
        deps.log?.warn({ to }, 'DSN recipient is local but unknown or disabled: DSN dropped');
        return;
      }
      if (routed.local.length > 0) {
        const envelope: Envelope = {
          sender: '',
          recipients: [{ address: to }],
          smtputf8: dsn.smtputf8,
          body: dsn.eightBit ? '8BITMIME' : '7BIT',
          client: { ip: '127.0.0.1', helo: '' },
          receivedVia: 'local',
        };
        const delivery = await deps.localDelivery.start(envelope);
        try {
          for (const r of routed.local) await delivery.addRcpt(r);
          await delivery.body({ data: dsn.message });
        } catch (e) {
          await delivery.abort();
          throw e;
        }
        const results = await delivery.commit();
        const failed = results.find((r) => r.error !== null);
        if (failed?.error && results.every((r) => r.error !== null)) throw failed.error;
      }
      if (routed.remote.length > 0) await enqueue(routed.remote, dsn);
    },
  };
}
