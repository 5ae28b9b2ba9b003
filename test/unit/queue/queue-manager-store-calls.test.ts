/**
 * The queue manager keeps its store writes (each one a commit with an fsync) few: a finished entry is
 * recorded and deleted in one completeQueueEntry call, and entries finishing together free their slots for
 * ONE claimDue of several entries rather than one claim per entry. Runs on a real SqliteStore; the
 * transport is an in-process stand-in that accepts every recipient.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueueManager, type QueueManagerStore } from '../../../src/queue/queue-manager.js';
import type { OutboundMessage, RecipientDeliveryResult, Transport } from '../../../src/queue/transport.js';
import { makeTempStore } from '../../helpers/store-temp.js';

test('finished entries cost one completeQueueEntry each and slots are refilled by multi-entry claims', async () => {
  const temp = await makeTempStore();
  const { store } = temp;
  const calls: string[] = [];
  const claimSizes: number[] = [];
  const spy: QueueManagerStore = {
    blobs: store.blobs,
    getQueueEntry: (id) => store.getQueueEntry(id),
    requeueActive: () => store.requeueActive(),
    async claimDue(now, limit) {
      const got = await store.claimDue(now, limit);
      if (got.length > 0) claimSizes.push(got.length);
      return got;
    },
    recordAttempt(id, update) {
      calls.push('recordAttempt');
      return store.recordAttempt(id, update);
    },
    completeQueueEntry(id, recipients) {
      calls.push('completeQueueEntry');
      return store.completeQueueEntry(id, recipients);
    },
  };
  // Deliveries finish when the test releases them, all of a batch in the same turn (no timing involved).
  const pending: Array<() => void> = [];
  const transport: Transport = {
    deliver(m: OutboundMessage): Promise<RecipientDeliveryResult[]> {
      return new Promise((resolve) =>
        pending.push(() =>
          resolve(m.recipients.map((address) => ({ address, status: 'delivered', code: 250, enhanced: '2.0.0', reply: '250 ok', remote: true, remoteMta: 'sink' }))),
        ),
      );
    },
    async close() {},
  };
  const manager = new QueueManager({
    store: spy,
    transport,
    dsn: { send: async () => assert.fail('no DSN expected') },
    policy: { initialMs: 60_000, maxMs: 600_000, lifetimeMs: 86_400_000, delayWarningMs: 0 },
    hostname: 'mx.example.test',
    concurrency: 4,
    concurrencyPerDomain: 4,
    pollIntervalMs: 60_000,
  });
  try {
    const blob = await store.blobs.put(Buffer.from('Subject: t\r\n\r\nhi\r\n'));
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.enqueue({ sender: 'a@example.test', recipients: [{ address: `r${i}@remote.test` }], blobId: blob.id, size: blob.size }),
      ),
    );
    await manager.start();
    for (let remaining = 12; remaining > 0; ) {
      const want = Math.min(4, remaining); // concurrency 4
      for (let i = 0; i < 1000 && pending.length < want; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(pending.length, want, 'the manager fills every free slot');
      const batch = pending.splice(0);
      for (const finish of batch) finish();
      remaining -= batch.length;
    }
    for (let i = 0; i < 200 && (await store.listQueue()).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    await manager.drain();
    assert.deepEqual(await store.listQueue(), [], 'every entry delivered and deleted');
    assert.deepEqual(calls, Array(12).fill('completeQueueEntry'), 'one store write per finished entry');
    assert.equal(claimSizes.reduce((a, b) => a + b, 0), 12);
    assert.ok(claimSizes.length <= 3, `entries finishing together are claimed together (claims: ${claimSizes.join(',')})`);
  } finally {
    await manager.stop(new Date());
    await temp.cleanup();
  }
});
