import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { TestServer } from '../helpers/start-server.js';
import { deliver, PASS, rawMessage, startImapServer, USER } from '../protocol/imap/fixtures.js';

function client(srv: TestServer, opts: { qresync?: boolean } = {}): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: srv.port('imap', 1),
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: USER, pass: PASS },
    logger: false,
    autoIdleDelay: 50,
    ...opts,
  });
}

describe('IMAP with imapflow (implicit TLS, COMPRESS, CONDSTORE/QRESYNC, IDLE)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
    await deliver(srv.store, USER, rawMessage('hello from the store', 'first body'));
  });
  after(async () => srv.close());

  it('logs in, selects and fetches envelope, structure, source and flags', async () => {
    const c = client(srv);
    await c.connect();
    assert.ok(c.capabilities.has('CONDSTORE'));
    const mb = await c.mailboxOpen('INBOX');
    assert.equal(mb.exists, 1);
    const msg = await c.fetchOne('1', { envelope: true, bodyStructure: true, source: true, flags: true, uid: true, size: true });
    assert.ok(msg);
    assert.equal(msg.envelope?.subject, 'hello from the store');
    assert.equal(msg.bodyStructure?.type, 'text/plain');
    assert.match(msg.source!.toString(), /first body/);
    assert.ok(msg.flags instanceof Set);
    await c.messageFlagsAdd('1', ['\\Flagged']);
    const again = await c.fetchOne('1', { flags: true });
    assert.ok(again && again.flags?.has('\\Flagged'));
    const found = await c.search({ body: 'first' }, { uid: true });
    assert.deepEqual(found, [1]);
    await c.logout();
  });

  it('sees new mail through IDLE within a second', async () => {
    const c = client(srv, { qresync: true });
    await c.connect();
    await c.mailboxOpen('INBOX');
    const seen = new Promise<number>((resolve) => c.on('exists', (d: { count: number }) => resolve(d.count)));
    await new Promise((r) => setTimeout(r, 200)); // let auto-IDLE start
    const t0 = Date.now();
    await deliver(srv.store, USER, rawMessage('pushed'));
    const count = await seen;
    assert.equal(count, 2);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    const expunged = new Promise<void>((resolve) => c.on('expunge', () => resolve()));
    await c.messageDelete('1');
    await expunged;
    await c.logout();
  });
});
