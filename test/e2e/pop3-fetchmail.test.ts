// End-to-end: fetchmail against the in-process server over STLS (certificate checked against the test CA):
// keep + UIDL tracking (a second run fetches only the new message), then fetchall + nokeep (everything fetched
// and removed from the INBOX). Messages go to files through fetchmail's mda.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { deliverBySmtp } from '../helpers/smtp-deliver.js';
import { available, run, tempDir, type TempDir } from '../protocol/pop3/real-clients.js';

const PW = 'pw-fetchmail-1';
const MSG = (n: number): string => `From: alice@example.net\r\nSubject: fetch ${n}\r\nMessage-ID: <fm${n}@example.net>\r\n\r\nbody ${n}\r\n.dot line ${n}\r\n`;

let srv: TestServer;
let tmp: TempDir;
// scripts/install-test-deps.sh installs every client: a missing one is a failure, never a skip.
assert.ok(available('fetchmail'), 'fetchmail is not installed: run scripts/install-test-deps.sh');

before(async () => {
  srv = await startServer({ listeners: [{ protocol: 'pop3', tls: 'starttls' }, { protocol: 'smtp', tls: 'none' }], users: [{ address: 'dave@example.org', password: PW }] });
  tmp = await tempDir();
  await tmp.write('ca.pem', srv.ca);
});

after(async () => {
  await srv.close();
  await tmp.cleanup();
});

async function fetchmail(outDir: string, keep: 'keep' | 'fetchall nokeep'): Promise<{ code: number; log: string }> {
  const rc = await tmp.write(
    'fetchmailrc',
    [
      `set idfile "${tmp.path('fetchids')}"`,
      `poll mx.test via 127.0.0.1 port ${srv.port('pop3')} protocol pop3 uidl auth password`,
      `  user "dave@example.org" password "${PW}" ${keep}`,
      `  sslproto TLS1.2+ sslcommonname mx.test sslcertck sslcertfile "${tmp.path('ca.pem')}"`,
      `  mda "/bin/sh -c 'cat > ${outDir}/msg.$$'"`,
      '',
    ].join('\n'),
    0o600,
  );
  const env = { ...process.env, HOME: tmp.dir, FETCHMAILHOME: tmp.dir };
  const r = await run('fetchmail', ['-f', rc, '--nodetach', '--nosyslog', '-v', '--pidfile', tmp.path('fetchmail.pid')], { env, timeoutMs: 60_000 });
  return { code: r.code, log: r.stdout + r.stderr };
}

async function fetched(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return Promise.all(names.map((n) => readFile(`${dir}/${n}`, 'latin1')));
}

async function inboxCount(): Promise<number> {
  const account = (await srv.store.getAccount('dave@example.org'))!;
  const inbox = (await srv.store.getMailbox(account.id, 'INBOX'))!;
  return (await srv.store.listMessages(inbox.id)).length;
}

test('fetchmail keep with UIDL tracking, then fetchall nokeep', async () => {
  await deliverBySmtp(srv, 'dave@example.org', [MSG(1), MSG(2), MSG(3)]);
  const { mkdir } = await import('node:fs/promises');
  for (const d of ['run1', 'run2', 'run3']) await mkdir(tmp.path(d));

  const r1 = await fetchmail(tmp.path('run1'), 'keep');
  assert.equal(r1.code, 0, r1.log);
  assert.match(r1.log, /STLS/);
  const got1 = await fetched(tmp.path('run1'));
  assert.equal(got1.length, 3, r1.log);
  assert.ok(got1.some((m) => m.includes('Subject: fetch 2') && m.includes('\n.dot line 2')), 'dot-stuffing undone');
  assert.equal(await inboxCount(), 3, 'keep leaves the messages');

  await deliverBySmtp(srv, 'dave@example.org', [MSG(4)]);
  const r2 = await fetchmail(tmp.path('run2'), 'keep');
  assert.equal(r2.code, 0, r2.log);
  const got2 = await fetched(tmp.path('run2'));
  assert.equal(got2.length, 1, `UIDL tracking fetches only the new message:\n${r2.log}`);
  assert.match(got2[0]!, /Subject: fetch 4/);

  const r3 = await fetchmail(tmp.path('run3'), 'fetchall nokeep');
  assert.equal(r3.code, 0, r3.log);
  assert.equal((await fetched(tmp.path('run3'))).length, 4, r3.log);
  assert.equal(await inboxCount(), 0, 'nokeep deletes at QUIT');

  const r4 = await fetchmail(tmp.path('run3'), 'keep');
  assert.equal(r4.code, 1, r4.log); // PS_NOMAIL
});
