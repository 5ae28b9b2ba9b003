// End-to-end: mbsync (isync) syncing a 500-message INBOX both ways with the in-process server over IMAPS
// (implicit TLS, the test certificate trusted through CertificateFile), into a Maildir near store:
// the first run pulls all 500 messages; flag changes and deletions made in the Maildir are pushed (checked
// in the store: flags set, messages expunged); flag changes and expunges made on the server are pulled back
// (checked in the Maildir file names). Skips when mbsync is not installed.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestServer } from '../helpers/start-server.js';
import { deliver, PASS, rawMessage, startImapServer, USER } from '../protocol/imap/fixtures.js';
import { available, run, tempDir, type TempDir } from '../protocol/pop3/real-clients.js';

const COUNT = 500;
// scripts/install-test-deps.sh installs every client: a missing one is a failure, never a skip.
assert.ok(available('mbsync'), 'mbsync is not installed: run scripts/install-test-deps.sh');

let srv: TestServer;
let tmp: TempDir;
let inboxId: number;

before(async () => {
  srv = await startImapServer();
  tmp = await tempDir('pochta-mbsync-e2e-');
  await tmp.write('ca.pem', srv.ca);
  await mkdir(tmp.path('mail'), { recursive: true });
  const account = (await srv.store.getAccount(USER))!;
  inboxId = (await srv.store.getMailbox(account.id, 'INBOX'))!.id;
});

after(async () => {
  await srv.close();
  await tmp.cleanup();
});

async function mbsync(): Promise<void> {
  const rc = await tmp.write(
    'mbsyncrc',
    [
      'IMAPAccount pochta',
      'Host 127.0.0.1',
      `Port ${srv.port('imap', 1)}`,
      `User ${USER}`,
      `Pass "${PASS}"`,
      'SSLType IMAPS',
      `CertificateFile ${tmp.path('ca.pem')}`,
      'AuthMechs LOGIN',
      '',
      'IMAPStore remote',
      'Account pochta',
      '',
      'MaildirStore local',
      `Path ${tmp.path('mail')}/`,
      `Inbox ${tmp.path('mail')}/INBOX`,
      '',
      'Channel inbox',
      'Far :remote:INBOX',
      'Near :local:INBOX',
      'Create Near',
      'Sync All',
      'Expunge Both',
      `SyncState ${tmp.path('state')}/`,
      '',
    ].join('\n'),
  );
  await mkdir(tmp.path('state'), { recursive: true });
  const r = await run('mbsync', ['-c', rc, '-V', 'inbox'], { env: { ...process.env, HOME: tmp.dir }, timeoutMs: 25_000 });
  assert.equal(r.code, 0, `mbsync failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
}

/** Maildir files of INBOX (new and cur) by the UID mbsync put in their names, with their flag letters. */
async function maildir(): Promise<Map<number, { path: string; flags: string }>> {
  const out = new Map<number, { path: string; flags: string }>();
  for (const sub of ['new', 'cur']) {
    const dir = join(tmp.path('mail'), 'INBOX', sub);
    for (const name of await readdir(dir)) {
      const uid = /,U=(\d+)/.exec(name);
      assert.ok(uid, `no UID in ${name}`);
      out.set(Number(uid[1]), { path: join(dir, name), flags: /:2,([A-Z]*)$/.exec(name)?.[1] ?? '' });
    }
  }
  return out;
}

test('mbsync pulls 500 messages, pushes Maildir flags and deletions, pulls server changes', { timeout: 60_000 }, async () => {
  for (let i = 1; i <= COUNT; i++) {
    await deliver(srv.store, USER, rawMessage(`sync ${i}`, `body of message ${i}`), { flags: i % 10 === 0 ? ['\\Seen'] : [] });
  }

  // 1. Pull everything.
  await mbsync();
  let local = await maildir();
  assert.equal(local.size, COUNT);
  assert.equal(local.get(10)!.flags, 'S');
  assert.equal(local.get(11)!.flags, '');
  const body = await readFile(local.get(123)!.path, 'latin1');
  assert.match(body, /^Return-Path: <sender@example\.net>\r?\n/);
  assert.match(body, /\r?\nSubject: sync 123\r?\n[\s\S]*\r?\n\r?\nbody of message 123\r?\n$/);

  // 2. Near-side changes: flag 1..5 (F) and read 6..10 (S), delete 11..20.
  for (let uid = 1; uid <= 10; uid++) {
    const m = local.get(uid)!;
    const flags = uid <= 5 ? 'F' : 'S';
    const dir = join(tmp.path('mail'), 'INBOX', 'cur');
    const base = m.path.split('/').pop()!.replace(/:2,[A-Z]*$/, '');
    await rename(m.path, join(dir, `${base}:2,${flags}`));
  }
  for (let uid = 11; uid <= 20; uid++) await unlink(local.get(uid)!.path);
  await mbsync();

  const onServer = new Map((await srv.store.listMessages(inboxId)).map((m) => [m.uid, m.flags]));
  assert.equal(onServer.size, COUNT - 10);
  for (let uid = 11; uid <= 20; uid++) assert.equal(onServer.has(uid), false, `uid ${uid} still on the server`);
  for (let uid = 1; uid <= 5; uid++) assert.ok(onServer.get(uid)!.includes('\\Flagged'), `uid ${uid}: ${onServer.get(uid)!.join(' ')}`);
  for (let uid = 6; uid <= 9; uid++) assert.deepEqual(onServer.get(uid), ['\\Seen']);

  // 3. Far-side changes: flag 21..25 answered+seen, expunge 30..39.
  await srv.store.storeFlags(inboxId, [21, 22, 23, 24, 25], 'add', ['\\Answered', '\\Seen']);
  const doomed = Array.from({ length: 10 }, (_, i) => 30 + i);
  await srv.store.storeFlags(inboxId, doomed, 'add', ['\\Deleted']);
  await srv.store.expunge(inboxId, { uids: doomed, onlyDeleted: true });
  await mbsync();

  local = await maildir();
  assert.equal(local.size, COUNT - 20);
  for (const uid of doomed) assert.equal(local.has(uid), false, `uid ${uid} still in the Maildir`);
  for (let uid = 21; uid <= 25; uid++) assert.equal(local.get(uid)!.flags, 'RS');
  assert.equal(local.get(1)!.flags, 'F');
  assert.equal(local.get(COUNT)!.flags, 'S');
});
