import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalDelivery } from '../../../src/pipeline/local-delivery.js';
import type { Envelope, RoutedRecipient } from '../../../src/pipeline/types.js';
import type { Account, Store } from '../../../src/store/types.js';
import { makeTempStore } from '../../helpers/store-temp.js';

const MESSAGE = Buffer.from(
  'Received: from client.example by mx.example.org; Tue, 01 Jan 2025 00:00:00 +0000\r\n' +
    'From: Sender <sender@remote.example>\r\nTo: team@example.org\r\nSubject: Hello\r\n\r\nHello, world.\r\n',
);

function envelope(): Envelope {
  return {
    sender: 'sender@remote.example',
    recipients: [{ address: 'team@example.org' }],
    smtputf8: false,
    body: '7BIT',
    client: { ip: '192.0.2.1', helo: 'client.example' },
    receivedVia: 'smtp',
  };
}

function routed(account: Account, address = account.address): RoutedRecipient {
  return { address, account, original: { address: 'team@example.org' } };
}

async function blobCount(store: Store): Promise<number> {
  let n = 0;
  for await (const _ of store.blobs.list()) n++;
  return n;
}

describe('local delivery', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const accounts: Account[] = [];
  before(async () => {
    ({ store, cleanup } = await makeTempStore());
    await store.addDomain({ name: 'example.org' });
    for (const a of ['alice', 'bob', 'carol']) {
      accounts.push(await store.createAccount({ address: `${a}@example.org`, passwordHash: 'x' }));
    }
  });
  after(() => cleanup());

  test('stores one body for three recipients, each with its own Delivered-To', async () => {
    const target = new LocalDelivery(store);
    const d = await target.start(envelope());
    for (const a of accounts) await d.addRcpt(routed(a));
    await d.body({ data: MESSAGE });
    const results = await d.commit();
    assert.equal(results.length, 3);
    assert.ok(results.every((r) => r.error === null && r.delivery !== undefined));

    assert.equal(await blobCount(store), 1);
    const blobIds = new Set<string>();
    for (const a of accounts) {
      const inbox = await store.getMailbox(a.id, 'INBOX');
      assert.ok(inbox);
      const [msg, ...rest] = await store.getMessages(inbox.id, [1]);
      assert.ok(msg);
      assert.equal(rest.length, 0);
      blobIds.add(msg.blobId);
      assert.equal(msg.prefix, `Return-Path: <sender@remote.example>\r\nDelivered-To: ${a.address}\r\n`);
      assert.equal(msg.size, Buffer.byteLength(msg.prefix) + MESSAGE.length);
      assert.equal(msg.structure.envelope.subject, 'Hello');
      assert.deepEqual(await store.searchText(inbox.id, ['world'], 'body'), [1]);
    }
    assert.equal(blobIds.size, 1);
  });

  test('delivers one copy when two recipients reach the same account', async () => {
    const bob = accounts[1] as Account;
    const inbox = await store.getMailbox(bob.id, 'INBOX');
    assert.ok(inbox);
    const before = (await store.getMailboxStatus(inbox.id)).messages;
    const d = await new LocalDelivery(store).start(envelope());
    await d.addRcpt(routed(bob));
    await d.addRcpt(routed(bob, 'bob+x@example.org'));
    await d.body({ data: MESSAGE });
    const results = await d.commit();
    assert.equal(results.length, 2);
    assert.deepEqual(results[0]?.delivery, results[1]?.delivery);
    assert.equal((await store.getMailboxStatus(inbox.id)).messages, before + 1);
  });

  test('a null sender gets an empty Return-Path', async () => {
    const carol = accounts[2] as Account;
    const d = await new LocalDelivery(store).start({ ...envelope(), sender: '' });
    await d.addRcpt(routed(carol, 'carol+bounce@example.org'));
    await d.body({ data: MESSAGE });
    const [r] = await d.commit();
    assert.ok(r?.delivery);
    const [msg] = await store.getMessages(r.delivery.mailboxId, [r.delivery.uid]);
    assert.equal(msg?.prefix, 'Return-Path: <>\r\nDelivered-To: carol+bounce@example.org\r\n');
  });

  test('an aborted delivery leaves no message behind', async () => {
    const alice = accounts[0] as Account;
    const inbox = await store.getMailbox(alice.id, 'INBOX');
    assert.ok(inbox);
    const before = (await store.getMailboxStatus(inbox.id)).messages;
    const d = await new LocalDelivery(store).start(envelope());
    await d.addRcpt(routed(alice));
    await d.body({ data: Buffer.from('Subject: other\r\n\r\nx\r\n') });
    await d.abort();
    assert.equal((await store.getMailboxStatus(inbox.id)).messages, before);
  });

  test('refuses a full mailbox temporarily by default and permanently when configured', async () => {
    const full = await store.createAccount({ address: 'full@example.org', passwordHash: 'x', quotaBytes: 100 });
    const d1 = await new LocalDelivery(store).start(envelope());
    await d1.addRcpt(routed(full));
    await d1.body({ data: MESSAGE }); // larger than 100 bytes
    const [r1] = await d1.commit();
    assert.equal(r1?.error?.code, 452);
    assert.equal(r1?.error?.enhanced, '4.2.2');
    assert.equal(r1?.error?.temporary, true);

    const d2 = await new LocalDelivery(store, { overQuota: 'permanent' }).start(envelope());
    await d2.addRcpt(routed(full));
    await d2.body({ data: MESSAGE });
    const [r2] = await d2.commit();
    assert.equal(r2?.error?.code, 552);
    assert.equal(r2?.error?.enhanced, '5.2.2');
    assert.equal(r2?.error?.temporary, false);
  });

  test('refuses at RCPT time an account already over its quota, and still delivers to the others', async () => {
    const small = await store.createAccount({ address: 'small@example.org', passwordHash: 'x', quotaBytes: 400 });
    const first = await new LocalDelivery(store).start(envelope());
    await first.addRcpt(routed(small));
    await first.body({ data: MESSAGE });
    const [ok] = await first.commit();
    assert.equal(ok?.error, null);
    const usage = await store.getUsage(small.id);
    await store.updateAccount('small@example.org', { quotaBytes: usage.bytes });
    const smallNow = (await store.getAccount('small@example.org')) as Account;

    const d = await new LocalDelivery(store, { overQuota: 'permanent' }).start(envelope());
    await assert.rejects(d.addRcpt(routed(smallNow)), (e: Error & { code?: number }) => e.code === 552);
    await d.addRcpt(routed(accounts[0] as Account));
    await d.body({ data: MESSAGE });
    const results = await d.commit();
    assert.equal(results.length, 1);
    assert.equal(results[0]?.error, null);
  });
});
