// SMTP session mechanics, driven by raw transcripts: greeting and capabilities, command order, malformed
// addresses, limits (recipients, size, connections, errors, line length, timeouts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { RawClient, greetAndEhlo } from './raw-client.js';
import { inbox } from './mailbox.js';

const USERS = [{ address: 'alice@example.org', password: 'pw-alice-1' }];

describe('SMTP session', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      listeners: ['smtp'],
      users: USERS,
      toml: '[smtp]\nmax_message_size = 2048\nmax_errors = 4\nmax_line_length = 1000\nmax_connections_per_ip = 3\n',
    });
  });
  after(() => srv.close());

  test('greets with the configured name and advertises the ESMTP extensions', async () => {
    const c = await RawClient.connect(srv.port('smtp'));
    const greeting = await c.reply();
    assert.equal(greeting.text, '220 mx.example.org ESMTP pochta');
    const ehlo = await c.cmd('EHLO client.example');
    assert.equal(ehlo.code, 250);
    for (const ext of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN', 'STARTTLS', 'SIZE 2048']) {
      assert.ok(ehlo.lines.some((l) => l.slice(4) === ext), `${ext} in ${ehlo.text}`);
    }
    assert.ok(!ehlo.lines.some((l) => l.slice(4).startsWith('AUTH')), 'no AUTH on port 25');
    assert.equal((await c.cmd('QUIT')).code, 221);
    c.close();
  });

  test('answers commands out of order with 503 5.5.1', async () => {
    const c = await RawClient.connect(srv.port('smtp'));
    await c.reply();
    assert.match((await c.cmd('MAIL FROM:<bob@remote.example>')).text, /^503 5\.5\.1 /);
    await c.cmd('EHLO client.example');
    assert.match((await c.cmd('RCPT TO:<alice@example.org>')).text, /^503 5\.5\.1 /);
    assert.match((await c.cmd('DATA')).text, /^503 5\.5\.1 /);
    assert.equal((await c.cmd('MAIL FROM:<bob@remote.example>')).code, 250);
    assert.match((await c.cmd('MAIL FROM:<bob@remote.example>')).text, /^503 /);
    c.close();
  });

  test('refuses malformed MAIL FROM addresses with 501', async () => {
    for (const bad of ['MAIL FROM:bob@remote.example', 'MAIL FROM:<bob@@remote.example>', 'MAIL FROM:<bob..x@remote.example>', 'MAIL FROM:<bob@remote..example>', 'MAIL FROM:<b\u0000b@remote.example>']) {
      const c = await RawClient.connect(srv.port('smtp'));
      await greetAndEhlo(c);
      const r = await c.cmd(bad);
      assert.equal(r.code, 501, `${JSON.stringify(bad)} -> ${r.text}`);
      assert.equal((await c.cmd('MAIL FROM:<>')).code, 250, 'the session goes on; the null sender is fine');
      c.close();
    }
  });

  test('accepts PIPELINING: a whole transaction in one write', async () => {
    const c = await RawClient.connect(srv.port('smtp'));
    await greetAndEhlo(c);
    c.write('MAIL FROM:<bob@remote.example>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\nDATA\r\n');
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.match((await c.reply()).text, /^550 5\.1\.1 /);
    assert.equal((await c.reply()).code, 354);
    assert.match((await c.data('Subject: pipelined\r\n\r\nx\r\n.\r\n')).text, /^250 2\.6\.0 /);
    c.close();
  });

  test('enforces SIZE: declared too big is 552 5.3.4 at MAIL, streamed too big is 552 5.3.4 after DATA, nothing stored', async () => {
    const before = (await inbox(srv, 'alice@example.org')).length;
    const c = await RawClient.connect(srv.port('smtp'));
    await greetAndEhlo(c);
    assert.match((await c.cmd('MAIL FROM:<bob@remote.example> SIZE=4096')).text, /^552 5\.3\.4 /);
    assert.equal((await c.cmd('MAIL FROM:<bob@remote.example> SIZE=100')).code, 250);
    assert.equal((await c.cmd('RCPT TO:<alice@example.org>')).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    assert.match((await c.data(`Subject: big\r\n\r\n${'x'.repeat(70)}\r\n`.repeat(40) + '.\r\n')).text, /^552 5\.3\.4 /);
    assert.equal((await c.cmd('NOOP')).code, 250, 'the session goes on');
    c.close();
    assert.equal((await inbox(srv, 'alice@example.org')).length, before);
  });

  test('refuses recipients past max_recipients with 452 4.5.3', async () => {
    const c = await RawClient.connect(srv.port('smtp'));
    await greetAndEhlo(c);
    await c.cmd('MAIL FROM:<bob@example.org>');
    // 127.0.0.1 is trusted by default, so remote recipients are accepted up to the limit (default 1000 is
    // too many for a quick test; max_recipients may not go below 100, RFC 5321 §4.5.3.1.8).
    let payload = '';
    for (let i = 0; i < 1001; i++) payload += `RCPT TO:<r${i}@other.test>\r\n`;
    c.write(payload);
    for (let i = 0; i < 1000; i++) assert.equal((await c.reply()).code, 250);
    assert.match((await c.reply()).text, /^452 4\.5\.3 /);
    c.close();
  });

  test('an unexpected exception in a handler is 451 4.3.0 for that command and the session goes on', async () => {
    const original = srv.store.listDomains.bind(srv.store);
    srv.store.listDomains = async () => {
      throw new Error('simulated store failure');
    };
    try {
      const c = await RawClient.connect(srv.port('smtp'));
      await greetAndEhlo(c);
      await c.cmd('MAIL FROM:<bob@remote.example>');
      assert.match((await c.cmd('RCPT TO:<postmaster>')).text, /^451 4\.3\.0 /);
      assert.equal((await c.cmd('RCPT TO:<alice@example.org>')).code, 250);
      c.close();
    } finally {
      srv.store.listDomains = original;
    }
  });

  test('closes with 421 after max_errors failed commands, and serves others meanwhile', async () => {
    const c = await RawClient.connect(srv.port('smtp'));
    await greetAndEhlo(c);
    for (let i = 0; i < 3; i++) assert.equal((await c.cmd('BOGUS')).code, 500);
    const last = await c.cmd('RCPT TO:<x@example.org>');
    assert.equal(last.code, 503);
    const bye = await c.reply();
    assert.match(bye.text, /^421 4\.7\.0 mx\.example\.org /);
    await c.waitClosed();
    const other = await RawClient.connect(srv.port('smtp'));
    assert.equal((await greetAndEhlo(other)).code, 250);
    other.close();
  });

  test('closes on a command line longer than max_line_length', async () => {
    const c = await RawClient.connect(srv.port('smtp'));
    await greetAndEhlo(c);
    const r = await c.cmd(`NOOP ${'x'.repeat(1200)}`);
    assert.equal(r.code, 421);
    await c.waitClosed();
  });

  test('refuses connections over max_connections_per_ip with 421 4.7.0', async () => {
    const open = await Promise.all([0, 1, 2].map(() => RawClient.connect(srv.port('smtp'))));
    await Promise.all(open.map((c) => c.reply()));
    const extra = await RawClient.connect(srv.port('smtp'));
    assert.equal((await extra.reply()).text, '421 4.7.0 mx.example.org too many connections');
    await extra.waitClosed();
    // Another address is not affected.
    const other = await RawClient.connect(srv.port('smtp'), { localAddress: '127.0.0.9' });
    assert.equal((await other.reply()).code, 220);
    for (const c of [...open, other]) c.close();
  });
});

describe('SMTP timeouts', () => {
  test('an idle session is closed with 421 after command_timeout', async () => {
    const srv = await startServer({ listeners: ['smtp'], users: USERS, toml: '[smtp]\ncommand_timeout = 1\n' });
    try {
      const c = await RawClient.connect(srv.port('smtp'));
      await greetAndEhlo(c);
      const r = await c.reply(4000);
      assert.equal(r.code, 421);
      await c.waitClosed();
    } finally {
      await srv.close();
    }
  });

  test('a DATA transfer longer than data_timeout is cut with 421 4.4.2 and nothing is stored', async () => {
    const srv = await startServer({ listeners: ['smtp'], users: USERS, toml: '[smtp]\ndata_timeout = 1\n' });
    try {
      const c = await RawClient.connect(srv.port('smtp'));
      await greetAndEhlo(c);
      await c.cmd('MAIL FROM:<bob@remote.example>');
      await c.cmd('RCPT TO:<alice@example.org>');
      assert.equal((await c.cmd('DATA')).code, 354);
      const trickle = setInterval(() => c.write('slow line\r\n'), 200);
      try {
        const r = await c.reply(4000);
        assert.match(r.text, /^421 4\.4\.2 /);
      } finally {
        clearInterval(trickle);
      }
      c.close();
      assert.equal((await inbox(srv, 'alice@example.org')).length, 0);
    } finally {
      await srv.close();
    }
  });
});
