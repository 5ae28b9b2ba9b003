// Bad input on the SMTP listener: each case gets a correct reply or a clean close, nothing is stored half,
// and the server keeps serving other clients.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { RawClient, greetAndEhlo } from './raw-client.js';
import { blobCount, inbox } from './mailbox.js';

describe('SMTP bad input', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ listeners: ['smtp'], users: [{ address: 'alice@example.org', password: 'pw-alice-1' }] });
  });
  after(() => srv.close());

  async function transaction(c: RawClient): Promise<void> {
    assert.equal((await c.cmd('MAIL FROM:<bob@remote.example>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.org>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
  }
  async function session(): Promise<RawClient> {
    const c = await RawClient.connect(srv.port('smtp'));
    await greetAndEhlo(c);
    return c;
  }
  const last = async () => (await inbox(srv, 'alice@example.org')).at(-1)!;
  const count = async () => (await inbox(srv, 'alice@example.org')).length;

  test('bare LF line endings are stored as CRLF', async () => {
    const c = await session();
    await transaction(c);
    assert.equal((await c.data('Subject: bare lf\nX-A: 1\n\nline one\nline two\r\n.\r\n')).code, 250);
    assert.ok((await last()).body.toString().endsWith('Subject: bare lf\r\nX-A: 1\r\n\r\nline one\r\nline two\r\n'));
    c.close();
  });

  test('a bare-LF dot does not end DATA (no SMTP smuggling)', async () => {
    const n = await count();
    const c = await session();
    await transaction(c);
    const r = await c.data('Subject: smuggle\r\n\r\nfirst\n.\nMAIL FROM:<evil@remote.example>\nRCPT TO:<alice@example.org>\nDATA\nsecond\r\n.\r\n');
    assert.equal(r.code, 250);
    assert.equal((await c.cmd('NOOP')).code, 250, 'no pending replies from smuggled commands');
    assert.equal(await count(), n + 1);
    assert.match((await last()).body.toString(), /first\r\n\.\r\nMAIL FROM:<evil@remote\.example>\r\n/);
    c.close();
  });

  test('NUL bytes are refused with 554 5.6.0 and the session goes on', async () => {
    const n = await count();
    const c = await session();
    await transaction(c);
    assert.match((await c.data('Subject: nul\r\n\r\na\u0000b\r\n.\r\n')).text, /^554 5\.6\.0 /);
    assert.equal(await count(), n);
    await transaction(c);
    assert.equal((await c.data('Subject: fine\r\n\r\nok\r\n.\r\n')).code, 250);
    c.close();
  });

  test('8-bit headers without SMTPUTF8 are accepted and stored byte for byte', async () => {
    const c = await session();
    await transaction(c);
    const msg = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9]), Buffer.from(' \u00fcber\r\n\r\nbody\r\n', 'utf8')]);
    assert.equal((await c.data(Buffer.concat([msg, Buffer.from('.\r\n')]))).code, 250);
    const m = await last();
    assert.ok(m.body.subarray(m.body.length - msg.length).equals(msg));
    c.close();
  });

  test('a line over max_line_length in the message is refused with 554 5.6.0', async () => {
    const n = await count();
    const c = await session();
    await transaction(c);
    assert.match((await c.data(`Subject: long\r\n\r\n${'y'.repeat(5000)}\r\n.\r\n`)).text, /^554 5\.6\.0 /);
    assert.equal(await count(), n);
    c.close();
  });

  test('a message that is only headers is accepted', async () => {
    const c = await session();
    await transaction(c);
    assert.equal((await c.data('Subject: only headers\r\nX-Empty: yes\r\n.\r\n')).code, 250);
    assert.ok((await last()).body.toString().endsWith('\r\nSubject: only headers\r\nX-Empty: yes\r\n'));
    c.close();
  });

  test('a client dropping mid-DATA leaves nothing stored, and others are served', async () => {
    const n = await count();
    const blobs = await blobCount(srv);
    const c = await session();
    await transaction(c);
    c.write('Subject: dropped\r\n\r\npartial body\r\n');
    await new Promise((r) => setTimeout(r, 100));
    c.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await count(), n);
    assert.equal(await blobCount(srv), blobs);
    const other = await session();
    await transaction(other);
    assert.equal((await other.data('Subject: next\r\n\r\nok\r\n.\r\n')).code, 250);
    other.close();
  });

  test('a failed TLS handshake after STARTTLS closes that connection only', async () => {
    const c = await session();
    assert.equal((await c.cmd('STARTTLS')).code, 220);
    c.write('this is not a TLS ClientHello\r\n\r\n');
    await c.waitClosed();
    // A client refusing the certificate (wrong CA) also ends cleanly.
    const d = await session();
    assert.equal((await d.cmd('STARTTLS')).code, 220);
    await assert.rejects(d.upgrade('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'));
    d.close();
    const ok = await session();
    assert.equal((await ok.cmd('STARTTLS')).code, 220);
    const secure = await ok.upgrade(srv.ca);
    assert.ok((secure as tls.TLSSocket).getProtocol() === 'TLSv1.3' || secure.getProtocol() === 'TLSv1.2');
    assert.equal((await ok.cmd('EHLO client.example')).code, 250);
    await transaction(ok);
    assert.equal((await ok.data('Subject: tls\r\n\r\nok\r\n.\r\n')).code, 250);
    assert.match((await last()).body.toString(), /with ESMTPS/);
    ok.close();
  });

  test('TLS below 1.2 is refused', async () => {
    const c = await session();
    assert.equal((await c.cmd('STARTTLS')).code, 220);
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const s = tls.connect({ socket: (c as any).socket, ca: [srv.ca], servername: 'mx.test', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
        s.once('secureConnect', () => resolve());
        s.once('error', reject);
      }),
    );
    c.close();
  });
});
