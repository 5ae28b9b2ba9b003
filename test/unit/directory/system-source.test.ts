/** The system directory on fixture passwd/shadow/group files in a temp dir (no root needed). */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SourceUnavailableError } from '../../../src/directory/errors.js';
import { SystemSource, type SystemSourceOptions } from '../../../src/directory/system-source.js';
import { shadowVerdict } from '../../../src/directory/system-files.js';

const SHA512 = '$6$CmYPnOulLnFOa9as$gDiHw3p3KVC7arbNSSDJfRzDLXEGr8JaSp7sLa9.uoE6y./3UW/Ut55uJU1EttJxA43mnE8jiXXugbSn9qwAv0'; // old-secret-1
const BCRYPT = '$2b$12$3G7TbI2iFPVcCM31bRMMm.qhr/GGbhvMahfbnPDp9X/QrWwfBuCdG'; // old-secret-3
const TODAY = 20_000;
// Without the native yescrypt addon (xcrypt.ts), whether or not build/xcrypt.node exists here.
process.env['POCHTA_XCRYPT'] = '/nonexistent/xcrypt.node';
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pochta-sys-'));
  await writeFile(
    join(dir, 'passwd'),
    [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'alice:x:1001:1001:Alice:/home/alice:/bin/bash',
      'bob:x:1002:1002:Bob:/home/bob:/bin/bash',
      'locked:x:1003:1003::/home/locked:/bin/bash',
      'expired:x:1004:1004::/home/expired:/bin/bash',
      'stale:x:1005:1005::/home/stale:/bin/bash',
      'yes:x:1006:1006::/home/yes:/bin/bash',
      'banned:x:1007:1007::/home/banned:/bin/bash',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'shadow'),
    [
      `root:${SHA512}:19000:0:99999:7:::`,
      `daemon:${SHA512}:19000:0:99999:7:::`,
      `alice:${SHA512}:19000:0:99999:7:::`,
      `bob:${BCRYPT}:19000:0:99999:7:::`,
      `locked:!${SHA512}:19000:0:99999:7:::`,
      `expired:${SHA512}:19000:0:99999:7::${TODAY - 1}:`,
      `stale:${SHA512}:19000:0:90:7:10::`,
      'yes:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7:19000:0:99999:7:::',
      `banned:${SHA512}:19000:0:99999:7:::`,
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'group'), ['root:x:0:', 'alice:x:1001:', 'mail-users:x:2000:alice,bob,banned', 'nomail:x:2001:banned', ''].join('\n'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function source(o: Partial<SystemSourceOptions> = {}): SystemSource {
  return new SystemSource({
    domains: ['example.org', 'example.net'],
    minUid: 1000,
    allowGroups: [],
    denyGroups: [],
    passwdFile: join(dir, 'passwd'),
    shadowFile: join(dir, 'shadow'),
    groupFile: join(dir, 'group'),
    today: () => TODAY,
    ...o,
  });
}

test('verifies a SHA-512-crypt and a bcrypt shadow password, by user name or address', async () => {
  const s = source();
  assert.deepEqual(await s.verify('alice', 'old-secret-1'), { address: 'alice@example.org', addresses: ['alice@example.org', 'alice@example.net'] });
  assert.equal((await s.verify('alice@example.net', 'old-secret-1'))?.address, 'alice@example.org');
  assert.equal((await s.verify('bob', 'old-secret-3'))?.address, 'bob@example.org');
  assert.equal(await s.verify('alice', 'wrong'), null);
  assert.equal(await s.verify('alice', ''), null);
  assert.equal(await s.verify('alice@other.example', 'old-secret-1'), null, 'not one of the source domains');
});

test('refuses accounts below min_uid, locked, expired, with an expired password or a yescrypt hash', async () => {
  const reasons: string[] = [];
  const s = source({ onRefused: (u, r) => reasons.push(`${u}: ${r}`) });
  for (const u of ['root', 'daemon', 'locked', 'expired', 'stale', 'yes']) assert.equal(await s.verify(u, 'old-secret-1'), null, u);
  assert.deepEqual(reasons, [
    'root: uid 0 below min_uid 1000',
    'daemon: uid 1 below min_uid 1000',
    'locked: locked',
    'expired: account-expired',
    'stale: password-expired',
    'yes: unsupported hash scheme yescrypt',
  ]);
  assert.deepEqual(await s.lookup('root@example.org'), { kind: 'none' });
  assert.equal((await s.lookup('alice@example.net')).kind, 'user');
});

test('applies allow_groups and deny_groups (primary and supplementary membership)', async () => {
  const s = source({ allowGroups: ['mail-users'], denyGroups: ['nomail'] });
  assert.ok(await s.verify('alice', 'old-secret-1'));
  assert.equal(await s.verify('banned', 'old-secret-1'), null);
  const only = source({ allowGroups: ['alice'] }); // alice's primary group
  assert.ok(await only.verify('alice', 'old-secret-1'));
  assert.equal(await only.verify('bob', 'old-secret-3'), null);
});

test('an unreadable shadow file is a temporary failure, not a wrong password', async () => {
  const s = source({ shadowFile: join(dir, 'missing-shadow') });
  await assert.rejects(s.verify('alice', 'old-secret-1'), SourceUnavailableError);
});

test('re-reads the files when they change', async () => {
  const s = source();
  assert.equal((await s.lookup('newbie@example.org')).kind, 'none');
  const path = join(dir, 'passwd');
  const { readFile } = await import('node:fs/promises');
  const before = await readFile(path, 'utf8');
  await writeFile(path, `${before}newbie:x:1500:1500::/home/newbie:/bin/sh\n`);
  await chmod(path, 0o644);
  assert.equal((await s.lookup('newbie@example.org')).kind, 'user');
  await writeFile(path, before);
});

test('shadow(5) verdicts', () => {
  const e = { name: 'a', hash: SHA512, lastChange: 19_000, maxDays: null, inactiveDays: null, expireDay: null };
  assert.equal(shadowVerdict(e, TODAY), 'ok');
  assert.equal(shadowVerdict({ ...e, hash: '*' }, TODAY), 'locked');
  assert.equal(shadowVerdict({ ...e, hash: '' }, TODAY), 'no-password');
  assert.equal(shadowVerdict({ ...e, lastChange: 0 }, TODAY), 'password-expired');
  assert.equal(shadowVerdict({ ...e, maxDays: 30, inactiveDays: 5 }, 19_034), 'ok');
  assert.equal(shadowVerdict({ ...e, maxDays: 30, inactiveDays: 5 }, 19_036), 'password-expired');
});
