// End-to-end: the PTR check per listener (off / require / match, reject / tag) with swaks connecting from
// other loopback addresses, against records in the fake DNS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { reverseName } from '../../src/dns/ip.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { swaks, tempFiles } from '../protocol/smtp/clients.js';
import { inbox } from '../protocol/smtp/mailbox.js';

describe('PTR check with swaks', () => {
  let srv: TestServer;
  let files: Awaited<ReturnType<typeof tempFiles>>;
  before(async () => {
    srv = await startServer({
      listeners: [
        { protocol: 'smtp', tls: 'none', name: 'off' },
        { protocol: 'smtp', tls: 'none', name: 'require', extra: 'ptr_check = "require"\n' },
        { protocol: 'smtp', tls: 'none', name: 'match', extra: 'ptr_check = "match"\n' },
        { protocol: 'smtp', tls: 'none', name: 'tag', extra: 'ptr_check = "match"\nptr_action = "tag"\n' },
      ],
      users: [{ address: 'alice@example.org', password: 'pw-alice-1' }],
    });
    // 127.0.0.2: forward-confirmed as mail.sender.test. 127.0.0.3: no PTR. 127.0.0.4: PTR that does not
    // resolve back. 127.0.0.5: the reverse lookup times out.
    srv.dns.addPtr('127.0.0.2', 'mail.sender.test');
    srv.dns.add('mail.sender.test', 'A', '127.0.0.2');
    srv.dns.addPtr('127.0.0.4', 'liar.sender.test');
    srv.dns.add('liar.sender.test', 'A', '192.0.2.99');
    srv.dns.setTimeout(reverseName('127.0.0.5'));
    files = await tempFiles({ 'msg.eml': 'Subject: ptr\r\n\r\nbody' });
  });
  after(async () => {
    await files.cleanup();
    await srv.close();
  });

  const send = (listener: string, from: string, ip: string, sender = 'bob@sender.test') =>
    swaks({ port: srv.port(listener), from: sender, to: 'alice@example.org', dataFile: files.path('msg.eml'), localInterface: ip });

  test('off: a client without PTR is accepted', async () => {
    const r = await send('off', 'bob@sender.test', '127.0.0.3');
    assert.equal(r.code, 0, r.stdout);
  });

  test('require: a forward-confirmed PTR passes and is named in Received', async () => {
    const r = await send('require', 'bob@anything.test', '127.0.0.2', 'bob@anything.test');
    assert.equal(r.code, 0, r.stdout);
    const m = (await inbox(srv, 'alice@example.org')).at(-1)!;
    assert.match(m.body.toString(), /^Received: from client\.example \(mail\.sender\.test \[127\.0\.0\.2\]\)/);
  });

  test('require: no PTR gives 550 5.7.25, an unconfirmed PTR too', async () => {
    assert.match((await send('require', 'bob@sender.test', '127.0.0.3')).stdout, /<\*\* 550 5\.7\.25/);
    assert.match((await send('require', 'bob@sender.test', '127.0.0.4')).stdout, /<\*\* 550 5\.7\.25/);
  });

  test('require: a DNS timeout is a temporary failure, 451 4.7.25', async () => {
    assert.match((await send('require', 'bob@sender.test', '127.0.0.5')).stdout, /<\*\* 451 4\.7\.25/);
  });

  test('match: the PTR registered domain must equal the MAIL FROM domain', async () => {
    const ok = await send('match', 'bob@sender.test', '127.0.0.2', 'bob@sub.sender.test');
    assert.equal(ok.code, 0, ok.stdout);
    const bad = await send('match', 'bob@other.test', '127.0.0.2', 'bob@other.test');
    assert.match(bad.stdout, /<\*\* 550 5\.7\.25/);
  });

  test('tag: a failure is delivered with an Authentication-Results iprev entry', async () => {
    const r = await send('tag', 'bob@other.test', '127.0.0.2', 'bob@other.test');
    assert.equal(r.code, 0, r.stdout);
    const m = (await inbox(srv, 'alice@example.org')).at(-1)!;
    assert.match(m.body.toString(), /^Authentication-Results: mx\.example\.org;\r\n\tiprev=fail \(PTR name mail\.sender\.test does not match the sender domain\) policy\.iprev=127\.0\.0\.2\r\nReceived: /);
  });
});
