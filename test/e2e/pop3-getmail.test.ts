// End-to-end: getmail6 (SimplePOP3SSLRetriever, CA pinned, host name checked as mx.test) into a Maildir:
// read_all = false tracks UIDLs (a second run gets only the new message); delete = true empties the INBOX.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { deliverBySmtp } from '../helpers/smtp-deliver.js';
import { available, run, tempDir, type TempDir } from '../protocol/pop3/real-clients.js';

const PW = 'pw-getmail-1';
const MSG = (n: number): string => `From: alice@example.net\r\nSubject: getmail ${n}\r\n\r\nbody ${n}\r\n.dot ${n}\r\n`;

let srv: TestServer;
let tmp: TempDir;
// scripts/install-test-deps.sh installs every client: a missing one is a failure, never a skip.
assert.ok(available('getmail'), 'getmail is not installed: run scripts/install-test-deps.sh');

before(async () => {
  srv = await startServer({ listeners: [{ protocol: 'pop3', tls: 'implicit' }, { protocol: 'smtp', tls: 'none' }], users: [{ address: 'erin@example.org', password: PW }] });
  tmp = await tempDir();
  await tmp.write('ca.pem', srv.ca);
  for (const d of ['Maildir', 'Maildir/new', 'Maildir/cur', 'Maildir/tmp', 'state']) await mkdir(tmp.path(d));
});

after(async () => {
  await srv.close();
  await tmp.cleanup();
});

async function getmail(opts: { delete: boolean }): Promise<{ code: number; log: string }> {
  const rc = await tmp.write(
    'getmailrc',
    [
      '[retriever]',
      'type = SimplePOP3SSLRetriever',
      'server = 127.0.0.1',
      `port = ${srv.port('pop3')}`,
      'username = erin@example.org',
      `password = ${PW}`,
      `ca_certs = ${tmp.path('ca.pem')}`,
      'ssl_cert_hostname = mx.test',
      '[destination]',
      // getmail refuses Maildir delivery as root (tests may run as root): an external MDA writes the files.
      'type = MDA_external',
      'path = /bin/sh',
      `arguments = ("-c", "cat > ${tmp.path('Maildir/new')}/msg.$$$$")`,
      'allow_root_commands = true',
      '[options]',
      'verbose = 2',
      'read_all = false',
      `delete = ${opts.delete}`,
      '',
    ].join('\n'),
  );
  const r = await run('getmail', ['--getmaildir', tmp.path('state'), '--rcfile', rc], { env: { ...process.env, HOME: tmp.dir } });
  return { code: r.code, log: r.stdout + r.stderr };
}

async function maildir(): Promise<string[]> {
  const names = await readdir(tmp.path('Maildir/new'));
  return Promise.all(names.map((n) => readFile(tmp.path(`Maildir/new/${n}`), 'latin1')));
}

test('getmail6 fetches new messages once (UIDL), then deletes everything it has', async () => {
  await deliverBySmtp(srv, 'erin@example.org', [MSG(1), MSG(2)]);
  const r1 = await getmail({ delete: false });
  assert.equal(r1.code, 0, r1.log);
  const got = await maildir();
  assert.equal(got.length, 2, r1.log);
  assert.ok(got.some((m) => m.includes('Subject: getmail 1') && m.includes('\n.dot 1\n')), got.join('\n----\n'));

  await deliverBySmtp(srv, 'erin@example.org', [MSG(3)]);
  const r2 = await getmail({ delete: true });
  assert.equal(r2.code, 0, r2.log);
  const all = await maildir();
  assert.equal(all.length, 3, r2.log);
  const account = (await srv.store.getAccount('erin@example.org'))!;
  const inbox = (await srv.store.getMailbox(account.id, 'INBOX'))!;
  // With delete = true getmail removes what it retrieved now and what it had seen before: all three.
  assert.equal((await srv.store.listMessages(inbox.id)).length, 0);
});
