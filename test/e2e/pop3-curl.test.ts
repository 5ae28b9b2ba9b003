// End-to-end: curl's pop3:// (with --ssl-reqd, i.e. STLS) and pop3s:// against the in-process server, CA
// pinned with --cacert: LIST, RETR (bytes as delivered, dot-stuffing undone), UIDL, DELE, SASL PLAIN/LOGIN,
// and a wrong password.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { deliverBySmtp } from '../helpers/smtp-deliver.js';
import { available, run, tempDir, type TempDir } from '../protocol/pop3/real-clients.js';

const PW = 'pw-curl-1';
const MSG = 'From: alice@example.net\r\nSubject: curl\r\n\r\nline one\r\n.starts with a dot\r\n';

let srv: TestServer;
let tmp: TempDir;
let ca: string;
// scripts/install-test-deps.sh installs every client: a missing one is a failure, never a skip.
assert.ok(available('curl'), 'curl is not installed: run scripts/install-test-deps.sh');

before(async () => {
  srv = await startServer({
    listeners: [{ protocol: 'pop3', tls: 'starttls' }, { protocol: 'pop3', tls: 'implicit' }, { protocol: 'smtp', tls: 'none' }],
    users: [{ address: 'carol@example.org', password: PW }],
  });
  tmp = await tempDir();
  ca = await tmp.write('ca.pem', srv.ca);
  await deliverBySmtp(srv, 'carol@example.org', [MSG, MSG.replace('curl', 'second')]);
});

after(async () => {
  await srv.close();
  await tmp.cleanup();
});

const curl = (url: string, ...extra: string[]): ReturnType<typeof run> =>
  run('curl', ['-sS', '--max-time', '20', '--cacert', ca, '-u', `carol@example.org:${PW}`, ...extra, url]);

test('curl pop3 with --ssl-reqd lists and retrieves', async () => {
  const port = srv.port('pop3', 0);
  const list = await curl(`pop3://127.0.0.1:${port}/`, '--ssl-reqd');
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split(/\r?\n/);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^1 \d+$/);

  const retr = await curl(`pop3://127.0.0.1:${port}/1`, '--ssl-reqd');
  assert.equal(retr.code, 0, retr.stderr);
  assert.ok(retr.stdout.endsWith(MSG), JSON.stringify(retr.stdout));
  assert.match(retr.stdout, /^Return-Path: <alice@example\.net>\r\nDelivered-To: carol@example\.org\r\n/);
  assert.equal(Buffer.byteLength(retr.stdout, 'latin1'), Number(lines[0]!.split(' ')[1]));
});

test('curl pop3s with SASL PLAIN and LOGIN; UIDL; DELE', async () => {
  const port = srv.port('pop3', 1);
  for (const mech of ['PLAIN', 'LOGIN']) {
    const r = await curl(`pop3s://127.0.0.1:${port}/2`, '--login-options', `AUTH=${mech}`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Subject: second/);
  }
  const uidl = await curl(`pop3s://127.0.0.1:${port}/`, '-X', 'UIDL');
  assert.equal(uidl.code, 0, uidl.stderr);
  assert.match(uidl.stdout, /^1 [0-9A-F]{16}\r?\n2 [0-9A-F]{16}/);

  const dele = await curl(`pop3s://127.0.0.1:${port}/1`, '-X', 'DELE', '-I');
  assert.equal(dele.code, 0, dele.stderr);
  const after = await curl(`pop3s://127.0.0.1:${port}/`);
  assert.equal(after.stdout.trim().split(/\r?\n/).length, 1);
});

test('curl with a wrong password fails with a login error', async () => {
  const r = await run('curl', ['-sS', '--max-time', '20', '--cacert', ca, '-u', 'carol@example.org:nope', `pop3s://127.0.0.1:${srv.port('pop3', 1)}/`]);
  assert.equal(r.code, 67, r.stderr); // CURLE_LOGIN_DENIED
});
