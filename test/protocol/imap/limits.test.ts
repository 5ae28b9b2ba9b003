// Issue 5 item 7 and 8: the verified-credential cache used by IMAP logins, failed-login throttling per client
// IP and per account, the per-user session cap, line and literal limits with a clear BAD/NO, and the
// autologout timer renewed by IDLE (RFC 9051 §5.4), all with short configured timers.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { ImapTestClient } from './client.js';
import { loggedIn, PASS, startImapServer, USER } from './fixtures.js';

/** One LOGIN over a fresh connection from `localAddress` (any 127/8 address); returns the tagged line and its duration. */
async function loginFrom(port: number, localAddress: string, user: string, pass: string): Promise<{ tagged: string; ms: number }> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.setEncoding('latin1');
  let buf = '';
  const lineMatching = (re: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = buf.split('\r\n').find((l) => re.test(l));
        if (line === undefined) return false;
        socket.off('data', onData);
        resolve(line);
        return true;
      };
      const onData = (d: string): void => {
        buf += d;
        check();
      };
      if (!check()) socket.on('data', onData);
      socket.once('error', reject);
      setTimeout(() => reject(new Error(`timeout waiting for ${re}`)), 10_000).unref();
    });
  await lineMatching(/^\* OK/);
  const t0 = Date.now();
  socket.write(`T1 LOGIN "${user}" "${pass}"\r\n`);
  const tagged = await lineMatching(/^T1 /);
  const ms = Date.now() - t0;
  socket.destroy();
  return { tagged, ms };
}

describe('IMAP logins use the credential cache (issue 5 item 7)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer({ toml: '[imap]\nauth_cache_ttl = 60\n' });
  });
  after(async () => srv.close());

  it('a repeated LOGIN with the same password skips the password check; a wrong one does not hit the cache', async () => {
    const store = srv.store;
    const byAddress = store.getAccount.bind(store);
    let fullChecks = 0;
    store.getAccount = async (address: string) => {
      fullChecks++;
      return byAddress(address);
    };
    try {
      const port = srv.port('imap', 0);
      assert.match((await loginFrom(port, '127.0.0.1', USER, PASS)).tagged, /^T1 OK/);
      assert.equal(fullChecks, 1, 'the first login looks the account up and verifies the hash');
      for (let i = 0; i < 3; i++) assert.match((await loginFrom(port, '127.0.0.1', USER, PASS)).tagged, /^T1 OK/);
      assert.equal(fullChecks, 1, 'reconnecting with the same credentials is answered from the cache');
      assert.match((await loginFrom(port, '127.0.0.1', USER, 'not the password')).tagged, /^T1 NO \[AUTHENTICATIONFAILED\]/);
      assert.equal(fullChecks, 2, 'other credentials are verified');
    } finally {
      store.getAccount = byAddress;
    }
  });

  it('a password change takes effect at once despite the cache', async () => {
    const { hashPassword } = await import('../../../src/directory/passwords.js');
    const port = srv.port('imap', 0);
    assert.match((await loginFrom(port, '127.0.0.1', 'bob@example.org', PASS)).tagged, /^T1 OK/);
    await srv.store.updateAccount('bob@example.org', { passwordHash: await hashPassword('a new password') });
    assert.match((await loginFrom(port, '127.0.0.1', 'bob@example.org', PASS)).tagged, /^T1 NO \[AUTHENTICATIONFAILED\]/);
    assert.match((await loginFrom(port, '127.0.0.1', 'bob@example.org', 'a new password')).tagged, /^T1 OK/);
  });
});

describe('IMAP failed-login throttling (issue 5 item 8)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
  });
  after(async () => srv.close());

  it('delays further attempts from an IP after two failures', async () => {
    const port = srv.port('imap', 0);
    for (let i = 0; i < 2; i++) {
      const r = await loginFrom(port, '127.0.0.2', `nobody${i}@example.org`, 'x');
      assert.match(r.tagged, /^T1 NO \[AUTHENTICATIONFAILED\]/);
      assert.ok(r.ms < 900, `failure ${i + 1} is free (${r.ms} ms)`);
    }
    const third = await loginFrom(port, '127.0.0.2', 'nobody2@example.org', 'x');
    assert.match(third.tagged, /^T1 NO \[AUTHENTICATIONFAILED\]/);
    assert.ok(third.ms >= 900, `the third failure from the IP waits (${third.ms} ms)`);
    const other = await loginFrom(port, '127.0.0.4', USER, PASS);
    assert.match(other.tagged, /^T1 OK/);
    assert.ok(other.ms < 900, `another IP is not slowed (${other.ms} ms)`);
  });

  it('delays attempts against an account that failed twice, from any IP', async () => {
    const port = srv.port('imap', 0);
    assert.match((await loginFrom(port, '127.0.0.5', 'bob@example.org', 'guess1')).tagged, /^T1 NO/);
    assert.match((await loginFrom(port, '127.0.0.6', 'bob@example.org', 'guess2')).tagged, /^T1 NO/);
    const r = await loginFrom(port, '127.0.0.7', 'bob@example.org', 'guess3');
    assert.match(r.tagged, /^T1 NO \[AUTHENTICATIONFAILED\]/);
    assert.ok(r.ms >= 900, `a fresh IP still waits for the attacked account (${r.ms} ms)`);
  });
});

describe('IMAP line and literal limits (issue 5 item 8)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer({ toml: '[imap]\nmax_literal_size = 4096\nmax_line_length = 2048\n' });
  });
  after(async () => srv.close());

  it('advertises the literal limit as APPENDLIMIT', async () => {
    const c = await loggedIn(srv);
    assert.match((await c.command('CAPABILITY')).lines[0]!, / APPENDLIMIT=4096( |$)/);
    await c.close();
  });

  it('refuses a synchronising literal over the limit with BAD [TOOBIG] before any data is sent', async () => {
    const c = await loggedIn(srv);
    c.write('L1 APPEND INBOX {5000}\r\n');
    assert.match(await c.readResponse(), /^L1 BAD \[TOOBIG\]/);
    assert.match((await c.command('NOOP')).tagged, /OK/);
    await c.close();
  });

  it('skips a LITERAL+ literal over the limit, answers BAD [TOOBIG] and stays usable', async () => {
    const c = await loggedIn(srv);
    c.write(`L2 APPEND INBOX {5000+}\r\n${'x'.repeat(5000)}\r\n`);
    assert.match(await c.readResponse(), /^L2 BAD \[TOOBIG\]/);
    const st = await c.command('STATUS INBOX (MESSAGES)');
    assert.match(st.lines[0]!, /MESSAGES 0/, 'nothing was appended');
    await c.close();
  });

  it('answers BAD to a command line over imap.max_line_length and stays usable', async () => {
    const c = await loggedIn(srv);
    assert.match((await c.command(`LIST "" "${'x'.repeat(1500)}"`)).tagged, /OK/, 'under the limit');
    c.write(`L3 LIST "" "${'x'.repeat(3000)}"\r\n`);
    assert.match(await c.readResponse(), /^L3 BAD .*(long|large)/i);
    // Literals do not count towards the line limit.
    c.write(`L4 LIST "" {3000+}\r\n${'y'.repeat(3000)}\r\n`);
    assert.match((await c.until('L4')).tagged, /^L4 OK/);
    assert.match((await c.command('NOOP')).tagged, /OK/);
    await c.close();
  });
});

describe('IMAP autologout with IDLE renewal (issue 5 item 8, RFC 9051 §5.4)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer({ toml: '[imap]\nidle_timeout = 1\nmax_connections_per_user = 2\n' });
  });
  after(async () => srv.close());

  it('a client that renews IDLE before the timer runs out stays connected', async () => {
    const c = await loggedIn(srv);
    for (let i = 0; i < 3; i++) {
      c.write(`I${i} IDLE\r\n`);
      assert.match(await c.readResponse(), /^\+ /);
      await new Promise((r) => setTimeout(r, 600));
      c.write('DONE\r\n');
      assert.match((await c.until(`I${i}`)).tagged, /^I\d OK/);
    }
    assert.match((await c.command('NOOP')).tagged, /OK/, 'alive after 1.8 s of renewed IDLE with a 1 s timer');
    await c.close();
  });

  it('an IDLE that is never renewed ends with BYE Autologout', async () => {
    const c = await loggedIn(srv);
    c.write('J1 IDLE\r\n');
    assert.match(await c.readResponse(), /^\+ /);
    assert.match(await c.readResponse(3000), /^\* BYE Autologout/);
    await c.close();
  });

  it('a closed session frees its place under max_connections_per_user', async () => {
    const a = await loggedIn(srv);
    const b = await loggedIn(srv);
    const c = await ImapTestClient.connect(srv.port('imap', 0));
    await c.readResponse();
    assert.match((await c.login(USER, PASS)).tagged, /NO \[LIMIT\]/);
    await a.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.match((await c.login(USER, PASS)).tagged, /OK/);
    await Promise.all([b.close(), c.close()]);
  });
});
