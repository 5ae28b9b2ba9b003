// End-to-end POP-before-SMTP (issue 6 item 3): a client from an untrusted IP is refused relay on port 25
// (554 5.7.1), logs in over POP3 with Python's poplib (STLS, test CA pinned), may then relay (the remote
// recipient is queued) while `pochta relay list` shows its address, and is refused again once the window ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runPochta } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { poplib, tempDir, type TempDir } from '../protocol/pop3/real-clients.js';
import { greetAndEhlo, RawClient } from '../protocol/smtp/raw-client.js';

const PW = 'pw-pbs-e2e-1';
// 0.2 minutes = 12 s: long enough for one CLI run (tsx start-up) on a busy machine, short enough for a test.
const WINDOW_MINUTES = 0.2;

const LOGIN = String.raw`
import json, poplib, ssl, sys
a = json.loads(sys.argv[1])
ctx = ssl.create_default_context(cafile=a['ca'])
p = poplib.POP3('127.0.0.1', a['port'], timeout=10)
p.stls(context=ctx)
p.user(a['user'])
out = {'auth': p.pass_(a['password']).decode(), 'stat': list(p.stat())}
p.quit()
print(json.dumps(out))
`;

let srv: TestServer;
let tmp: TempDir;

before(async () => {
  srv = await startServer({
    listeners: ['smtp', { protocol: 'pop3', tls: 'starttls' }],
    users: [{ address: 'popper@example.org', password: PW }],
    // 127.0.0.1 is not trusted: only a POP3 login lets it relay.
    toml: `[relay]\ntrusted_networks = ["10.99.0.0/16"]\npop_before_smtp = true\npop_before_smtp_minutes = ${WINDOW_MINUTES}\n`,
  });
  // The queue tries other.test at once: a DNS that never answers keeps the relayed message queued.
  srv.dns.setTimeout('other.test');
  tmp = await tempDir('pochta-pbs-e2e-');
});

after(async () => {
  await srv.close();
  await tmp.cleanup();
});

/** One SMTP transaction to a remote recipient; the RCPT reply (and, when accepted, the DATA reply). */
async function relayAttempt(n: number): Promise<{ rcpt: string; data?: string }> {
  const c = await RawClient.connect(srv.port('smtp'));
  try {
    await greetAndEhlo(c);
    assert.equal((await c.cmd('MAIL FROM:<popper@example.org>')).code, 250);
    const rcpt = await c.cmd(`RCPT TO:<friend${n}@other.test>`);
    if (rcpt.code !== 250) return { rcpt: rcpt.text };
    assert.equal((await c.cmd('DATA')).code, 354);
    const data = await c.data(`From: popper@example.org\r\nTo: friend${n}@other.test\r\nSubject: pbs ${n}\r\n\r\nhello\r\n.\r\n`);
    return { rcpt: rcpt.text, data: `${data.code} ${data.text}` };
  } finally {
    await c.cmd('QUIT').catch(() => undefined);
  }
}

test('POP-before-SMTP: refused, POP3 login, relays and is listed, refused again after the window', async () => {
  const refused = await relayAttempt(1);
  assert.match(refused.rcpt, /5\.7\.1/, 'an untrusted, unauthenticated client may not relay');

  const ca = await tmp.write('ca.pem', srv.ca);
  const login = await poplib(LOGIN, { port: srv.port('pop3'), ca, user: 'popper@example.org', password: PW });
  assert.match(String(login['auth']), /^\+OK/);
  const grantedAt = Date.now();

  const allowed = await relayAttempt(2);
  assert.match(allowed.data ?? '', /^250 /, `relay allowed after the POP3 login (${allowed.rcpt})`);
  const queued = await srv.store.listQueue();
  assert.ok(
    queued.some((e) => e.recipients.some((r) => r.address === 'friend2@other.test')),
    'the remote recipient is queued',
  );

  const list = await runPochta(['--config', `${srv.dataDir}/pochta.toml`, '--json', 'relay', 'list']);
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as Array<{ ip: string; login: string; until: string }>;
  assert.equal(rows.length, 1, `listed: ${list.stdout}`);
  assert.equal(rows[0]!.ip, '127.0.0.1');
  assert.equal(rows[0]!.login, 'popper@example.org');
  const until = Date.parse(rows[0]!.until);
  assert.ok(Math.abs(until - grantedAt - WINDOW_MINUTES * 60_000) < 2000, 'the grant ends one window after the login');

  // Wait for the window to end (plus a margin), then the same client is refused again.
  await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 200));
  const after = await relayAttempt(3);
  assert.match(after.rcpt, /5\.7\.1/, 'the grant has expired');
});
