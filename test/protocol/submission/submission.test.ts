/**
 * Submission (RFC 6409) over a raw socket on the STARTTLS listener: AUTH only after TLS, AUTH failures, AUTH
 * required for MAIL, the sender checks (MAIL FROM and From:), the headers the MSA adds, the Received trace,
 * and local plus remote recipients in one message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, inbox } from '../smtp/mailbox.js';
import { greetAndEhlo, RawClient } from '../smtp/raw-client.js';
import { startServer } from '../../helpers/start-server.js';
import { authedSession, PASSWORD, plain, startBench, tlsSession, type Bench } from './harness.js';

/** DATA payload with the end-of-data mark (the raw client sends bytes as they are). */
const dot = (m: string): string => `${m}.\r\n`;

const msg = (from: string, extra = ''): string => `From: ${from}\r\nTo: petrov@example.org\r\nSubject: hi\r\n${extra}\r\nhello\r\n`;

describe('submission on 587', () => {
  let b: Bench;
  before(async () => {
    b = await startBench();
  });
  after(async () => {
    await b.close();
  });

  it('offers AUTH only after STARTTLS and refuses AUTH before it', async () => {
    const c = await RawClient.connect(b.srv.port('submission', 0));
    const ehlo = await greetAndEhlo(c);
    assert.ok(ehlo.lines.some((l) => l.includes('STARTTLS')), ehlo.text);
    assert.ok(!ehlo.lines.some((l) => /AUTH/.test(l)), ehlo.text);
    const r = await c.cmd(`AUTH PLAIN ${plain('ivanov@example.org', PASSWORD)}`);
    assert.equal(r.code, 538, r.text);
    const m = await c.cmd('MAIL FROM:<ivanov@example.org>');
    assert.equal(m.code, 530, m.text);
    c.close();
    const { c: t, ehlo: after } = await tlsSession(b);
    assert.ok(after.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)), after.text);
    t.close();
  });

  it('answers a wrong password with 535 5.7.8 and accepts AUTH LOGIN', async () => {
    const { c } = await tlsSession(b);
    const bad = await c.cmd(`AUTH PLAIN ${plain('ivanov@example.org', 'wrong')}`);
    assert.equal(bad.code, 535);
    assert.match(bad.text, /^535 5\.7\.8 /);
    assert.equal((await c.cmd('AUTH LOGIN')).code, 334);
    assert.equal((await c.cmd(Buffer.from('ivanov@example.org').toString('base64'))).code, 334);
    const ok = await c.cmd(Buffer.from(PASSWORD).toString('base64'));
    assert.equal(ok.code, 235, ok.text);
    c.close();
  });

  it('requires AUTH for MAIL even over TLS (530 5.7.0)', async () => {
    const { c } = await tlsSession(b);
    const r = await c.cmd('MAIL FROM:<ivanov@example.org>');
    assert.match(r.text, /^530 5\.7\.0 /);
    c.close();
  });

  it('refuses MAIL FROM an address the user does not own with 553 5.7.1', async () => {
    const c = await authedSession(b);
    assert.match((await c.cmd('MAIL FROM:<petrov@example.org>')).text, /^553 5\.7\.1 /);
    assert.match((await c.cmd('MAIL FROM:<kozlov@example.com>')).text, /^553 5\.7\.1 /);
    // Own address in another case, with a +tag, an alias and the sendAs list: accepted.
    for (const a of ['IVANOV@Example.ORG', 'ivanov+lists@example.org', 'info@example.org', 'ivan@sendas.test']) {
      assert.equal((await c.cmd(`MAIL FROM:<${a}>`)).code, 250, a);
      assert.equal((await c.cmd('RSET')).code, 250);
    }
    c.close();
  });

  it('refuses a From: header the user does not own at the end of DATA (553 5.7.1)', async () => {
    const c = await authedSession(b);
    assert.equal((await c.cmd('MAIL FROM:<ivanov@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<petrov@example.org>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const r = await c.data(dot(msg('"Petrov" <petrov@example.org>')));
    assert.match(r.text, /^553 5\.7\.1 /);
    // Several From mailboxes: every one must be owned.
    assert.equal((await c.cmd('MAIL FROM:<ivanov@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<petrov@example.org>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    assert.match((await c.data(dot(msg('ivanov@example.org, kozlov@example.com')))).text, /^553 5\.7\.1 /);
    c.close();
    assert.equal((await inbox(b.srv, 'petrov@example.org')).filter((m) => m.full.includes('Subject: hi')).length, 0);
  });

  it('adds Date and Message-ID, records ESMTPSA with the login, and delivers local and remote recipients', async () => {
    const c = await authedSession(b);
    assert.equal((await c.cmd('MAIL FROM:<ivanov@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<petrov@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<kozlov@example.com>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const r = await c.data(dot('From: Ivanov <ivanov@example.org>\r\nTo: petrov@example.org, kozlov@example.com\r\nSubject: both\r\n\r\nhello both\r\n'));
    assert.equal(r.code, 250, r.text);
    await c.cmd('QUIT');
    c.close();

    const local = (await inbox(b.srv, 'petrov@example.org')).find((m) => m.full.includes('Subject: both'));
    assert.ok(local, 'petrov got it');
    assert.match(local.full, /^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\r$/m);
    assert.match(local.full, /^Message-ID: <[a-z0-9.]+@mx\.example\.org>\r$/m);
    assert.match(local.full, /with ESMTPSA/);
    assert.match(local.full, /\(Authenticated sender: ivanov@example\.org\)/);
    assert.ok(!local.full.includes(PASSWORD.split(' ')[0]!), 'no password in the message');

    await eventually(async () => b.remote.received.some((m) => m.data.toString().includes('Subject: both')), 8000);
    const remote = b.remote.received.find((m) => m.data.toString().includes('Subject: both'))!;
    assert.deepEqual(remote.to, ['kozlov@example.com']);
    assert.equal(remote.from, 'ivanov@example.org');
    assert.match(remote.data.toString(), /^Message-ID: /m);
  });

  it('keeps a Date and Message-ID the client set', async () => {
    const c = await authedSession(b);
    assert.equal((await c.cmd('MAIL FROM:<ivanov@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<petrov@example.org>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const r = await c.data(dot(msg('info@example.org', 'Date: Mon, 02 Jan 2006 15:04:05 +0000\r\nMessage-ID: <mine@client.example>\r\nSubject: kept\r\n')));
    assert.equal(r.code, 250, r.text);
    c.close();
    const m = (await inbox(b.srv, 'petrov@example.org')).find((x) => x.full.includes('<mine@client.example>'));
    assert.ok(m);
    assert.equal(m.full.match(/^Message-ID:/gim)?.length, 1);
    assert.equal(m.full.match(/^Date:/gim)?.length, 1);
  });
});

describe('submission with allow_plaintext_auth and a trusted network', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    srv = await startServer({
      listeners: [{ protocol: 'submission', tls: 'starttls', extra: 'allow_plaintext_auth = true' }],
      users: [{ address: 'ivanov@example.org', password: PASSWORD }, { address: 'petrov@example.org', password: PASSWORD }],
      toml: '[relay]\ntrusted_networks = ["127.0.0.0/8"]\n',
    });
  });
  after(async () => {
    await srv.close();
  });

  it('still requires AUTH from a trusted network (530 5.7.0)', async () => {
    const c = await RawClient.connect(srv.port('submission'));
    await greetAndEhlo(c);
    assert.match((await c.cmd('MAIL FROM:<ivanov@example.org>')).text, /^530 5\.7\.0 /);
    c.close();
  });

  it('offers and accepts AUTH before TLS, and the trace says ESMTPA', async () => {
    const c = await RawClient.connect(srv.port('submission'));
    const ehlo = await greetAndEhlo(c);
    assert.ok(ehlo.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)), ehlo.text);
    assert.equal((await c.cmd(`AUTH PLAIN ${plain('ivanov@example.org', PASSWORD)}`)).code, 235);
    assert.equal((await c.cmd('MAIL FROM:<ivanov@example.org>')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<petrov@example.org>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    assert.equal((await c.data(dot(msg('ivanov@example.org')))).code, 250);
    c.close();
    const [m] = await inbox(srv, 'petrov@example.org');
    assert.match(m?.full ?? '', /with ESMTPA\b/);
  });
});
