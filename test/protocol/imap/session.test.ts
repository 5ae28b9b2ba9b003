import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { ImapTestClient } from './client.js';
import { loggedIn, PASS, startImapServer, USER } from './fixtures.js';

describe('IMAP session core', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer({ toml: '[imap]\nmax_connections_per_user = 3\n' });
  });
  after(async () => srv.close());

  it('greets with CAPABILITY and LOGINDISABLED before TLS on a strict listener', async () => {
    const c = await ImapTestClient.connect(srv.port('strict'));
    const g = await c.readResponse();
    assert.match(g, /^\* OK \[CAPABILITY [^\]]*IMAP4rev1/);
    assert.match(g, /STARTTLS/);
    assert.match(g, /LOGINDISABLED/);
    assert.doesNotMatch(g, /AUTH=PLAIN/);
    const r = await c.login(USER, PASS);
    assert.match(r.tagged, /^A1 NO \[PRIVACYREQUIRED\]/);
    const a = await c.command('AUTHENTICATE PLAIN ' + Buffer.from(`\0${USER}\0${PASS}`).toString('base64'));
    assert.match(a.tagged, /^A2 NO \[PRIVACYREQUIRED\]/);
    await c.close();
  });

  it('upgrades with STARTTLS, then allows LOGIN', async () => {
    const c = await ImapTestClient.connect(srv.port('strict'));
    await c.readResponse();
    await c.startTls();
    const cap = await c.command('CAPABILITY');
    assert.match(cap.lines[0]!, /AUTH=PLAIN/);
    assert.doesNotMatch(cap.lines[0]!, /STARTTLS|LOGINDISABLED/);
    const r = await c.login(USER, PASS);
    assert.match(r.tagged, /^A3 OK \[CAPABILITY /);
    await c.close();
  });

  it('discards plaintext pipelined after STARTTLS (no command injection)', async () => {
    const c = await ImapTestClient.connect(srv.port('strict'));
    await c.readResponse();
    c.write('X1 STARTTLS\r\nX2 CAPABILITY\r\n');
    const ok = await c.readResponse();
    assert.match(ok, /^X1 OK/);
    await c.close();
  });

  it('serves implicit TLS', async () => {
    const c = await ImapTestClient.connect(srv.port('imap', 1), { tls: true });
    const g = await c.readResponse();
    assert.match(g, /AUTH=PLAIN/);
    assert.doesNotMatch(g, /STARTTLS|LOGINDISABLED/);
    assert.match((await c.login(USER, PASS)).tagged, /OK/);
    await c.close();
  });

  it('rejects a wrong password with AUTHENTICATIONFAILED', async () => {
    const c = await ImapTestClient.connect(srv.port('imap'));
    await c.readResponse();
    const r = await c.login(USER, 'wrong');
    assert.match(r.tagged, /^A1 NO \[AUTHENTICATIONFAILED\]/);
    await c.close();
  });

  it('AUTHENTICATE PLAIN with SASL-IR and with a continuation', async () => {
    const c = await ImapTestClient.connect(srv.port('imap'));
    await c.readResponse();
    const b64 = Buffer.from(`\0${USER}\0${PASS}`).toString('base64');
    assert.match((await c.command(`AUTHENTICATE PLAIN ${b64}`)).tagged, /^A1 OK/);
    await c.close();
    const d = await ImapTestClient.connect(srv.port('imap'));
    await d.readResponse();
    d.write('P1 AUTHENTICATE PLAIN\r\n');
    assert.equal(await d.readResponse(), '+ ');
    d.write(b64 + '\r\n');
    assert.match((await d.until('P1')).tagged, /^P1 OK/);
    await d.close();
  });

  it('AUTHENTICATE LOGIN, and * cancels', async () => {
    const c = await ImapTestClient.connect(srv.port('imap'));
    await c.readResponse();
    c.write('L1 AUTHENTICATE LOGIN\r\n');
    assert.equal(await c.readResponse(), '+ VXNlcm5hbWU6');
    c.write('*\r\n');
    assert.match((await c.until('L1')).tagged, /^L1 BAD/);
    c.write('L2 AUTHENTICATE LOGIN\r\n');
    await c.readResponse();
    c.write(Buffer.from(USER).toString('base64') + '\r\n');
    assert.equal(await c.readResponse(), '+ UGFzc3dvcmQ6');
    c.write(Buffer.from(PASS).toString('base64') + '\r\n');
    assert.match((await c.until('L2')).tagged, /^L2 OK/);
    await c.close();
  });

  it('answers BAD for unknown commands, syntax errors and commands in the wrong state', async () => {
    const c = await ImapTestClient.connect(srv.port('imap'));
    await c.readResponse();
    assert.match((await c.command('FROB')).tagged, /^A1 BAD/);
    assert.match((await c.command('SELECT INBOX')).tagged, /^A2 BAD .*authentication/);
    assert.match((await c.command('LOGIN "unbalanced')).tagged, /^A3 BAD/);
    c.write('\r\n');
    assert.match(await c.readResponse(), /^\* BAD/);
    assert.match((await c.command('NOOP')).tagged, /^A4 OK/);
    await c.close();
  });

  it('refuses a literal over the limit and stays usable', async () => {
    const c = await ImapTestClient.connect(srv.port('imap'));
    await c.readResponse();
    c.write('B1 LOGIN {999999999999}\r\n');
    assert.match(await c.readResponse(), /^B1 BAD \[TOOBIG\]/);
    c.write('B2 LOGIN {100000}\r\n');
    assert.match(await c.readResponse(), /^B2 BAD \[TOOBIG\] Literal too large before authentication/);
    assert.match((await c.command('NOOP')).tagged, /OK/);
    await c.close();
  });

  it('handles synchronising literals', async () => {
    const c = await ImapTestClient.connect(srv.port('imap'));
    await c.readResponse();
    c.write(`S1 LOGIN {${USER.length}}\r\n`);
    assert.match(await c.readResponse(), /^\+ /);
    c.write(`${USER} {${PASS.length}+}\r\n${PASS}\r\n`);
    assert.match((await c.until('S1')).tagged, /^S1 OK/);
    await c.close();
  });

  it('ID, ENABLE, NAMESPACE, NOOP, LOGOUT', async () => {
    const c = await loggedIn(srv);
    const id = await c.command('ID ("name" "test")');
    assert.match(id.lines[0]!, /^\* ID \("name" "pochta"/);
    const en = await c.command('ENABLE CONDSTORE UTF8=ACCEPT X-UNKNOWN');
    assert.deepEqual(en.lines, ['* ENABLED CONDSTORE UTF8=ACCEPT']);
    const ns = await c.command('NAMESPACE');
    assert.deepEqual(ns.lines, ['* NAMESPACE (("" "/")) NIL NIL']);
    const lo = await c.command('LOGOUT');
    assert.deepEqual(lo.lines, ['* BYE Logging out']);
    assert.match(lo.tagged, /OK/);
    await c.close();
  });

  it('caps sessions per user', async () => {
    const cs = [await loggedIn(srv, 'bob@example.org'), await loggedIn(srv, 'bob@example.org'), await loggedIn(srv, 'bob@example.org')];
    const c = await ImapTestClient.connect(srv.port('imap', 1), { tls: true });
    await c.readResponse();
    assert.match((await c.login('bob@example.org', PASS)).tagged, /NO \[LIMIT\]/, 'the cap counts every IMAP listener');
    await Promise.all([...cs, c].map((x) => x.close()));
  });

  it('COMPRESS=DEFLATE keeps the session working', async () => {
    const c = await loggedIn(srv);
    const r = await c.command('COMPRESS DEFLATE');
    assert.match(r.tagged, /OK/);
    c.startCompression();
    const l = await c.command('LIST "" INBOX');
    assert.match(l.lines[0]!, /^\* LIST \(.*\) "\/" "INBOX"/);
    assert.match(l.tagged, /OK/);
    assert.match((await c.command('COMPRESS DEFLATE')).tagged, /NO \[COMPRESSIONACTIVE\]/);
    await c.close();
  });
});

describe('IMAP autologout', () => {
  it('closes an idle session after imap.idle_timeout with BYE', async () => {
    const srv = await startImapServer({ toml: '[imap]\nidle_timeout = 1\n' });
    try {
      const c = await loggedIn(srv);
      const bye = await c.readResponse(3000);
      assert.match(bye, /^\* BYE Autologout/);
      await c.close();
    } finally {
      await srv.close();
    }
  });
});

describe('IMAP unexpected failures', () => {
  it('an exception inside a command answers NO [SERVERBUG] and the session goes on', async () => {
    const srv = await startImapServer();
    try {
      const c = await loggedIn(srv);
      const original = srv.store.getMailboxStatus.bind(srv.store);
      srv.store.getMailboxStatus = async () => {
        throw new TypeError('boom');
      };
      assert.match((await c.command('STATUS INBOX (MESSAGES)')).tagged, /^A2 NO \[SERVERBUG\]/);
      srv.store.getMailboxStatus = original;
      assert.match((await c.command('STATUS INBOX (MESSAGES)')).tagged, /^A3 OK/);
      await c.close();
    } finally {
      await srv.close();
    }
  });
});
