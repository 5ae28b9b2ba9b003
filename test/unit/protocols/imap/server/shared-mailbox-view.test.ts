import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openMailboxView, type UidSource } from '../../../../../src/protocols/imap/server/mailbox-view.js';
import { MemoryChangeFeed } from '../../../../../src/store/sqlite/memory-change-feed.js';

const source = (uids: number[], loads: { n: number }): UidSource => ({
  loadUids: async () => {
    loads.n++;
    return Uint32Array.from(uids);
  },
});
const opts = { highestModseq: 1, readOnly: false, recentFrom: 0, recentTo: 0 };

test('views of one mailbox share one UID array, listed once', async () => {
  const feed = new MemoryChangeFeed();
  const loads = { n: 0 };
  const a = await openMailboxView(feed, 7, source([1, 2, 3], loads), opts);
  const b = await openMailboxView(feed, 7, source([1, 2, 3], loads), opts);
  assert.equal(loads.n, 1);
  assert.equal(a.uidList, b.uidList);
  feed.publish({ kind: 'exists', mailboxId: 7, uids: [4], modseq: 2 });
  assert.equal(a.flush(true).exists, 4);
  assert.equal(b.flush(true).exists, 4);
  assert.equal(a.uidList, b.uidList, 'caught-up views share the new snapshot again');
  a.close();
  b.close();
});

test('an unannounced expunge keeps sequence numbers (RFC 3501 §7.4.1) in a private copy, then rejoins', async () => {
  const feed = new MemoryChangeFeed();
  const src = source([1, 2, 3], { n: 0 });
  const a = await openMailboxView(feed, 8, src, opts);
  const b = await openMailboxView(feed, 8, src, opts);
  feed.publish({ kind: 'expunge', mailboxId: 8, uids: [2], modseq: 2 });
  feed.publish({ kind: 'exists', mailboxId: 8, uids: [4], modseq: 3 });
  const r = a.flush(false); // e.g. after FETCH by sequence number
  assert.deepEqual(r.expungedSeqs, []);
  assert.equal(r.exists, 4);
  assert.deepEqual([...a.uidList], [1, 2, 3, 4]);
  assert.ok(a.isExpunged(2));
  const rb = b.flush(true);
  assert.deepEqual(rb.expungedSeqs, [2]);
  assert.deepEqual([...b.uidList], [1, 3, 4]);
  assert.notEqual(a.uidList, b.uidList);
  assert.deepEqual(a.flush(true).expungedSeqs, [2]);
  assert.equal(a.uidList, b.uidList);
  a.close();
  b.close();
});

test('the index is released with its last view; a deleted mailbox marks its views', async () => {
  const feed = new MemoryChangeFeed();
  const loads = { n: 0 };
  const a = await openMailboxView(feed, 9, source([5], loads), opts);
  a.close();
  const b = await openMailboxView(feed, 9, source([5], loads), opts);
  assert.equal(loads.n, 2);
  feed.publish({ kind: 'expunge', mailboxId: 9, uids: [5], modseq: 2, mailboxDeleted: true });
  assert.equal(b.deleted, true);
  b.close();
});
