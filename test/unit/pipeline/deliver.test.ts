import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InternalDirectory } from '../../../src/directory/directory.js';
import { deliverMessage, resolutionError, type PipelineDeps } from '../../../src/pipeline/deliver.js';
import { LocalDelivery } from '../../../src/pipeline/local-delivery.js';
import { QueueTarget } from '../../../src/pipeline/queue-target.js';
import type { Envelope, EnvelopeRecipient } from '../../../src/pipeline/types.js';
import type { Store } from '../../../src/store/types.js';
import { makeTempStore } from '../../helpers/store-temp.js';

function envelope(recipients: EnvelopeRecipient[]): Envelope {
  return {
    sender: 'sender@remote.example',
    recipients,
    smtputf8: false,
    body: '8BITMIME',
    envid: 'ENV1',
    ret: 'HDRS',
    client: { ip: '127.0.0.1', helo: 'client.example' },
    receivedVia: 'smtp',
  };
}

const message = (extra = ''): Buffer =>
  Buffer.from(`${extra}From: sender@remote.example\r\nSubject: pipeline\r\n\r\nbody text\r\n`);

async function inboxCount(store: Store, address: string): Promise<number> {
  const acct = await store.getAccount(address);
  assert.ok(acct);
  const inbox = await store.getMailbox(acct.id, 'INBOX');
  assert.ok(inbox);
  return (await store.getMailboxStatus(inbox.id)).messages;
}

describe('deliverMessage', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let deps: PipelineDeps;
  before(async () => {
    ({ store, cleanup } = await makeTempStore());
    await store.addDomain({ name: 'example.org' });
    for (const a of ['alice', 'bob', 'carol']) await store.createAccount({ address: `${a}@example.org`, passwordHash: 'x' });
    await store.addAlias('team@example.org', ['alice@example.org', 'bob@example.org', 'friend@remote.example']);
    deps = {
      directory: new InternalDirectory(store),
      blobs: store.blobs,
      local: new LocalDelivery(store),
      queue: new QueueTarget(store),
      plusSeparator: '+',
      maxReceived: 5,
    };
  });
  after(() => cleanup());

  test('delivers local expansions and queues remote ones, sharing one blob', async () => {
    const rcpts = [{ address: 'team@example.org', notify: ['FAILURE' as const] }, { address: 'carol+x@example.org' }, { address: 'other@remote.example' }];
    const outcomes = await deliverMessage(deps, envelope(rcpts), message());
    assert.deepEqual(outcomes.map((o) => o.error), [null, null, null]);
    assert.equal(outcomes[0]?.results.length, 3);
    assert.equal(await inboxCount(store, 'alice@example.org'), 1);
    assert.equal(await inboxCount(store, 'bob@example.org'), 1);
    assert.equal(await inboxCount(store, 'carol@example.org'), 1);

    const queue = await store.listQueue();
    assert.equal(queue.length, 1);
    const entry = queue[0];
    assert.ok(entry);
    assert.deepEqual(entry.recipients.map((r) => [r.address, r.orcpt, r.notify]), [
      ['friend@remote.example', 'rfc822;team@example.org', ['FAILURE']],
      ['other@remote.example', null, null],
    ]);
    assert.equal(entry.envid, 'ENV1');
    assert.equal(entry.ret, 'HDRS');
    assert.equal(entry.eightBit, true);
    const alice = await store.getAccount('alice@example.org');
    const inbox = alice && (await store.getMailbox(alice.id, 'INBOX'));
    assert.ok(inbox);
    const [stored] = await store.getMessages(inbox.id, [1]);
    assert.equal(stored?.blobId, entry.blobId);
  });

  test('refuses a recipient whose Delivered-To is already in the message', async () => {
    const before = await inboxCount(store, 'bob@example.org');
    const outcomes = await deliverMessage(
      deps,
      envelope([{ address: 'bob@example.org' }, { address: 'alice@example.org' }]),
      message('Delivered-To: bob@example.org\r\n'),
    );
    assert.equal(outcomes[0]?.error?.enhanced, '5.4.6');
    assert.equal(outcomes[1]?.error, null);
    assert.equal(await inboxCount(store, 'bob@example.org'), before);
  });

  test('refuses the whole message above the Received limit', async () => {
    const hops = 'Received: from x by y; Tue, 01 Jan 2025 00:00:00 +0000\r\n'.repeat(6);
    const outcomes = await deliverMessage(deps, envelope([{ address: 'alice@example.org' }]), message(hops));
    assert.equal(outcomes[0]?.error?.code, 554);
    assert.equal(outcomes[0]?.error?.enhanced, '5.4.6');
  });

  test('reports unknown and disabled recipients with their own codes', async () => {
    await store.createAccount({ address: 'off@example.org', passwordHash: 'x', enabled: false });
    const outcomes = await deliverMessage(
      deps,
      envelope([{ address: 'nobody@example.org' }, { address: 'off@example.org' }, { address: 'carol@example.org' }]),
      message(),
    );
    assert.deepEqual(outcomes.map((o) => o.error?.enhanced ?? null), ['5.1.1', '5.2.1', null]);
  });

  test('maps resolutions to RCPT replies', () => {
    assert.equal(resolutionError({ kind: 'not-local' }), null);
    assert.equal(resolutionError({ kind: 'unknown' })?.code, 550);
    assert.equal(resolutionError({ kind: 'loop', reason: 'cycle' })?.enhanced, '5.4.6');
  });
});
