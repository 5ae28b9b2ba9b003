// LMTP (RFC 2033) transcripts: LHLO, one reply per recipient after DATA (some delivered, some refused at
// DATA time), final delivery only, and a unix socket listener.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalDirectory } from '../../../src/directory/directory.js';
import { LoginThrottle } from '../../../src/directory/login-throttle.js';
import { PopBeforeSmtp } from '../../../src/directory/pop-before-smtp.js';
import { NodeResolver } from '../../../src/dns/node-resolver.js';
import { createLogger } from '../../../src/lib/logger.js';
import { listen, type Listener } from '../../../src/net/listen.js';
import { createLmtpService } from '../../../src/protocols/smtp/server/server.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { RawClient } from './raw-client.js';
import { inbox } from './mailbox.js';

const USERS = [
  { address: 'alice@example.org', password: 'pw-alice-1' },
  { address: 'bob@example.org', password: 'pw-bob-1' },
  { address: 'tiny@example.org', password: 'pw-tiny-1', quotaBytes: 10 },
];

describe('LMTP', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ listeners: ['lmtp'], users: USERS });
  });
  after(() => srv.close());

  test('greets as LMTP and wants LHLO, not EHLO or HELO', async () => {
    const c = await RawClient.connect(srv.port('lmtp'));
    assert.equal((await c.reply()).text, '220 mx.example.org LMTP pochta');
    assert.equal((await c.cmd('EHLO client.example')).code, 500);
    assert.equal((await c.cmd('HELO client.example')).code, 500);
    const lhlo = await c.cmd('LHLO client.example');
    assert.equal(lhlo.code, 250);
    assert.ok(lhlo.lines.some((l) => l.endsWith('PIPELINING')));
    c.close();
  });

  test('replies once per recipient after DATA, in RCPT order', async () => {
    const c = await RawClient.connect(srv.port('lmtp'));
    await c.reply();
    await c.cmd('LHLO client.example');
    assert.equal((await c.cmd('MAIL FROM:<sender@remote.example>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.org>')).code, 250);
    assert.match((await c.cmd('RCPT TO:<ghost@example.org>')).text, /^550 5\.1\.1 /);
    assert.equal((await c.cmd('RCPT TO:<tiny@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<bob@example.org>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.write('Subject: lmtp\r\n\r\nper recipient\r\n.\r\n');
    const replies = [await c.reply(), await c.reply(), await c.reply()];
    assert.match(replies[0]!.text, /^250 2\.6\.0 .*alice@example\.org/);
    assert.match(replies[1]!.text, /^452 4\.2\.2 /);
    assert.match(replies[2]!.text, /^250 2\.6\.0 .*bob@example\.org/);
    assert.equal((await c.cmd('QUIT')).code, 221);
    assert.equal((await inbox(srv, 'alice@example.org')).length, 1);
    assert.equal((await inbox(srv, 'tiny@example.org')).length, 0);
    const m = (await inbox(srv, 'bob@example.org'))[0]!;
    assert.match(m.body.toString(), /with LMTP/);
  });

  test('never relays: a remote recipient is 550 5.1.2', async () => {
    const c = await RawClient.connect(srv.port('lmtp'));
    await c.reply();
    await c.cmd('LHLO client.example');
    await c.cmd('MAIL FROM:<sender@remote.example>');
    assert.match((await c.cmd('RCPT TO:<x@other.test>')).text, /^550 5\.1\.2 /);
    c.close();
  });
});

describe('LMTP on a unix socket', () => {
  let srv: TestServer;
  let dir: string;
  let listener: Listener;
  before(async () => {
    srv = await startServer({ listeners: ['lmtp'], users: USERS });
    dir = await mkdtemp(join(tmpdir(), 'pochta-lmtp-unix-'));
    const address = `unix:${join(dir, 'lmtp.sock')}`;
    const service = createLmtpService(
      { protocol: 'lmtp', address, port: 0, tls: 'none', ptr_check: 'off', ptr_action: 'reject', allow_plaintext_auth: false },
      {
        config: srv.config,
        store: srv.store,
        directory: new InternalDirectory(srv.store),
        resolver: new NodeResolver({ servers: [srv.dns.server], timeoutMs: 1000, tries: 1 }),
        tls: undefined,
        log: createLogger({ level: 'silent', sync: true }),
        throttle: new LoginThrottle(),
        popBeforeSmtp: new PopBeforeSmtp(),
      },
    );
    listener = await listen({ address, port: 0, tls: 'none' }, (socket, info) => service.handleConnection(socket, info));
  });
  after(async () => {
    await listener.close();
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('delivers with a Received header naming localhost', async () => {
    const c = await RawClient.connect(0, { path: join(dir, 'lmtp.sock') });
    assert.equal((await c.reply()).code, 220);
    await c.cmd('LHLO mta.local');
    await c.cmd('MAIL FROM:<sender@remote.example>');
    await c.cmd('RCPT TO:<alice@example.org>');
    await c.cmd('DATA');
    assert.equal((await c.data('Subject: unix\r\n\r\nvia socket\r\n.\r\n')).code, 250);
    c.close();
    const m = (await inbox(srv, 'alice@example.org')).at(-1)!;
    assert.match(m.body.toString(), /^Received: from mta\.local \(localhost \[127\.0\.0\.1\]\)/);
  });
});
