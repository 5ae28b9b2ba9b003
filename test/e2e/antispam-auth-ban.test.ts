/**
 * End-to-end failed-login bans (issue 7 item 4) with Python's imaplib: failed LOGINs from one IP ban it, the ban
 * is in the store so `pochta ban list` shows it with its reason and `pochta ban rm` lifts it while the server
 * runs; the IP can then log in again. Other IPs are never affected. No failure delay here, to keep it quick.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { runPochta } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { eventually } from '../protocol/smtp/mailbox.js';

const PASSWORD = 'pw-auth-ban-12345';

/** One IMAP LOGIN from `source` by imaplib (STARTTLS, CA pinned): 'OK' or the NO text, then the LOGIN's ms. */
function imapLoginTimed(port: number, source: string, ca: string, user: string, password: string): Promise<{ reply: string; ms: number }> {
  const script = `
import imaplib, socket, ssl, sys, time
port, source, ca, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
class Client(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(source, 0))
c = Client("127.0.0.1", port, timeout=10)
ctx = ssl.create_default_context(cadata=ca)
ctx.check_hostname = False
c.starttls(ssl_context=ctx)
t0 = time.monotonic()
try:
    typ, _ = c.login(user, password)
    reply = typ
except imaplib.IMAP4.error as e:
    reply = "NO " + str(e)
print(reply)
print(int((time.monotonic() - t0) * 1000))
`;
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, String(port), source, ca, user, password], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`imaplib failed: ${stderr || err.message}`));
      else {
        const [reply = '', ms = '0'] = stdout.trim().split('\n');
        resolve({ reply, ms: Number(ms) });
      }
    });
  });
}

async function imapLogin(port: number, source: string, ca: string, user: string, password: string): Promise<string> {
  return (await imapLoginTimed(port, source, ca, user, password)).reply;
}

describe('failed-login bans go through the store', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      listeners: ['imap'],
      users: [{ address: 'ivanov@example.org', password: PASSWORD }],
      toml: ['[antispam]', 'login_free_failures = 0', 'login_failure_delay = 0', 'login_ban_failures = 3', 'login_ban_time = 3600', ''].join('\n'),
    });
  });
  after(async () => {
    await srv.close();
  });

  test('imaplib fails LOGIN 3 times: banned, listed with its reason, lifted by pochta ban rm', async () => {
    const port = srv.port('imap');
    const login = (source: string, pw: string) => imapLogin(port, source, srv.ca, 'ivanov@example.org', pw);
    for (let i = 0; i < 3; i++) assert.match(await login('127.0.0.7', 'wrong password'), /^NO /);
    // Banned: even the right password is refused now, from that IP only.
    assert.match(await login('127.0.0.7', PASSWORD), /^NO /);
    assert.equal(await login('127.0.0.8', PASSWORD), 'OK');

    const cfg = `${srv.dataDir}/pochta.toml`;
    const list = await runPochta(['--config', cfg, '--json', 'ban', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const bans = JSON.parse(list.stdout) as Array<{ ip: string; reason: string; seconds_left: number }>;
    assert.deepEqual(bans.map((b) => b.ip), ['127.0.0.7']);
    assert.match(bans[0]!.reason, /3 failed logins/);
    assert.ok(bans[0]!.seconds_left > 3500);

    const rm = await runPochta(['--config', cfg, 'ban', 'rm', '127.0.0.7']);
    assert.equal(rm.code, 0, rm.stderr);
    // The running server reloads its ban list every 2 s.
    await eventually(async () => (await login('127.0.0.7', PASSWORD)) === 'OK', 8000);
    const after = await runPochta(['--config', cfg, '--json', 'ban', 'list']);
    assert.deepEqual(JSON.parse(after.stdout), []);
  });

  test('the ban survives a restart of the throttle (it is read back from the store)', async () => {
    const { LoginThrottle } = await import('../../src/directory/login-throttle.js');
    const t = new LoginThrottle({ banFailures: 2, freeFailures: 0, baseDelayMs: 0 }, { bans: srv.store });
    t.recordFailure('::ffff:127.0.0.9', 'x@example.org');
    t.recordFailure('::ffff:127.0.0.9', 'x@example.org');
    t.close();
    await eventually(async () => (await srv.store.getBan('127.0.0.9', new Date())) !== null);
    const fresh = new LoginThrottle({}, { bans: srv.store });
    try {
      await fresh.refresh();
      assert.equal(fresh.check('127.0.0.9', 'y@example.org').banned, true);
      assert.equal(fresh.check('127.0.0.10', 'y@example.org').banned, false);
    } finally {
      fresh.close();
      await srv.store.removeBan('127.0.0.9');
    }
  });
});

describe('failed logins are answered more and more slowly', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      listeners: ['imap'],
      users: [{ address: 'petrov@example.org', password: PASSWORD }],
      toml: ['[antispam]', 'login_free_failures = 1', 'login_failure_delay = 400', 'login_failure_delay_max = 800', 'login_ban_failures = 50', ''].join('\n'),
    });
  });
  after(async () => {
    await srv.close();
  });

  test('imaplib: no delay for the first failure, then 400 ms, then 800 ms (the ceiling)', async () => {
    const ms: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await imapLoginTimed(srv.port('imap'), '127.0.0.12', srv.ca, 'petrov@example.org', 'wrong password');
      assert.match(r.reply, /^NO /);
      ms.push(r.ms);
    }
    const [m1, m2, m3, m4] = ms as [number, number, number, number];
    assert.ok(m1 < 380, `first failure took ${m1} ms`);
    assert.ok(m2 >= 390 && m2 < 790, `second failure took ${m2} ms`);
    assert.ok(m3 >= 790, `third failure took ${m3} ms`);
    assert.ok(m4 >= 790 && m4 < 1500, `fourth failure took ${m4} ms`);
    // Another client is not slowed down by this one's failures.
    const other = await imapLoginTimed(srv.port('imap'), '127.0.0.13', srv.ca, 'ivanov@example.org', 'wrong password');
    assert.ok(other.ms < 380, `another IP took ${other.ms} ms`);
  });
});
