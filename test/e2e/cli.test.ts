/**
 * The `pochta` CLI as an admin uses it: init, check-config, domains, users, aliases; clear one-line errors and
 * nothing half-written on bad input.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPochta } from '../helpers/cli.js';
import { parseConfig } from '../../src/config/index.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { verifyPassword } from '../../src/directory/passwords.js';

let dir: string;
let cfg: string;
const pochta = (args: string[], input?: string) => runPochta(['--config', cfg, ...args], { input });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pochta-cli-'));
  cfg = join(dir, 'data', 'pochta.toml');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('init writes a commented config that check-config accepts, and refuses to overwrite it', async () => {
  const r = await pochta(['init', '--hostname', 'mx.example.org']);
  assert.equal(r.code, 0, r.stderr);
  const text = await readFile(cfg, 'utf8');
  assert.match(text, /^#/m);
  assert.match(text, /hostname = "mx\.example\.org"/);
  assert.equal(parseConfig(text, cfg).server.hostname, 'mx.example.org');
  const check = await pochta(['check-config']);
  assert.equal(check.code, 0, check.stderr);
  assert.match(check.stdout, /ok/);
  const again = await pochta(['init']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists: use --force/);
});

test('check-config names the file, key and reason of a bad value in one line', async () => {
  const bad = join(dir, 'bad.toml');
  await writeFile(bad, '[smtp]\nmax_recipients = "many"\n');
  const r = await runPochta(['--config', bad, 'check-config']);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /bad\.toml.*smtp\.max_recipients/);
  const unknown = join(dir, 'unknown.toml');
  await writeFile(unknown, '[smtp]\nmax_recipientz = 5\n');
  const u = await runPochta(['--config', unknown, 'check-config']);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /max_recipientz/);
});

test('domains: add (IDN stored as A-label), list as JSON, refuse invalid names and duplicates', async () => {
  assert.equal((await pochta(['domain', 'add', 'Example.ORG'])).code, 0);
  const idn = await pochta(['domain', 'add', 'пример.рф']);
  assert.equal(idn.code, 0, idn.stderr);
  assert.match(idn.stdout, /xn--e1afmkfd\.xn--p1ai/);
  const dup = await pochta(['domain', 'add', 'example.org']);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /example\.org/);
  const invalid = await pochta(['domain', 'add', 'bad..domain']);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /not a valid domain/);
  const list = await pochta(['--json', 'domain', 'list']);
  const names = (JSON.parse(list.stdout) as Array<{ domain: string }>).map((d) => d.domain).sort();
  assert.deepEqual(names, ['example.org', 'xn--e1afmkfd.xn--p1ai']);
});

test('users: the password comes from stdin and is stored as argon2id; weak, duplicate and invalid are refused', async () => {
  const ok = await pochta(['user', 'add', 'Ivanov@Example.org', '--quota', '1G'], 'correct-horse-battery\n');
  assert.equal(ok.code, 0, ok.stderr);
  assert.doesNotMatch(ok.stdout + ok.stderr, /correct-horse/);
  const weak = await pochta(['user', 'add', 'weak@example.org'], '1234\n');
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /password refused/);
  const dup = await pochta(['user', 'add', 'ivanov@example.org'], 'another-good-password\n');
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already exists/);
  const noDomain = await pochta(['user', 'add', 'x@unknown.test'], 'another-good-password\n');
  assert.equal(noDomain.code, 1);
  assert.match(noDomain.stderr, /domain unknown\.test is not served/);
  const invalid = await pochta(['user', 'add', 'not an address'], 'another-good-password\n');
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /not a valid mail address/);

  const list = JSON.parse((await pochta(['--json', 'user', 'list'])).stdout) as Array<{ address: string; quota: string }>;
  assert.deepEqual(list.map((u) => u.address), ['ivanov@example.org']);
  assert.equal(list[0]!.quota, '1G');

  const store = await openSqliteStore({ dir: join(dir, 'data') });
  try {
    const acct = await store.getAccount('ivanov@example.org');
    assert.ok(acct);
    assert.match(acct.passwordHash, /^\$argon2id\$/);
    assert.equal(await verifyPassword('correct-horse-battery', acct.passwordHash), true);
    assert.equal(await store.getAccount('weak@example.org'), null);
    const boxes = (await store.listMailboxes(acct.id)).map((m) => m.name).sort();
    assert.deepEqual(boxes, ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
  } finally {
    await store.close();
  }
});

test('users: passwd, quota, disable and rm', async () => {
  assert.equal((await pochta(['user', 'add', 'petrov@example.org'], 'first-password-1\n')).code, 0);
  assert.equal((await pochta(['user', 'passwd', 'petrov@example.org'], 'second-password-2\n')).code, 0);
  assert.equal((await pochta(['user', 'quota', 'petrov@example.org', '500M'])).code, 0);
  assert.equal((await pochta(['user', 'disable', 'petrov@example.org'])).code, 0);
  const list = JSON.parse((await pochta(['--json', 'user', 'list', 'example.org'])).stdout) as Array<{ address: string; quota: string; enabled: boolean }>;
  const p = list.find((u) => u.address === 'petrov@example.org');
  assert.deepEqual({ quota: p?.quota, enabled: p?.enabled }, { quota: '500M', enabled: false });
  const store = await openSqliteStore({ dir: join(dir, 'data') });
  try {
    const acct = await store.getAccount('petrov@example.org');
    assert.equal(await verifyPassword('second-password-2', acct!.passwordHash), true);
  } finally {
    await store.close();
  }
  assert.equal((await pochta(['user', 'rm', 'petrov@example.org'])).code, 0);
  const missing = await pochta(['user', 'rm', 'petrov@example.org']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such user/);
});

test('aliases: add to several targets, list, remove one target, refuse an alias over a user', async () => {
  const r = await pochta(['alias', 'add', 'info@example.org', 'ivanov@example.org', 'someone@remote.test']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse((await pochta(['--json', 'alias', 'list'])).stdout) as Array<{ address: string; targets: string }>;
  assert.deepEqual(list, [{ address: 'info@example.org', targets: 'ivanov@example.org, someone@remote.test' }]);
  assert.equal((await pochta(['alias', 'rm', 'info@example.org', 'someone@remote.test'])).code, 0);
  const after = JSON.parse((await pochta(['--json', 'alias', 'list'])).stdout) as Array<{ targets: string }>;
  assert.equal(after[0]!.targets, 'ivanov@example.org');
  const clash = await pochta(['alias', 'add', 'ivanov@example.org', 'x@remote.test']);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /is a user/);
});

test('a domain with users cannot be removed; an empty one can', async () => {
  const r = await pochta(['domain', 'rm', 'example.org']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /example\.org/);
  assert.equal((await pochta(['domain', 'rm', 'xn--e1afmkfd.xn--p1ai'])).code, 0);
});

test('unknown commands and options exit 2 with usage help', async () => {
  const r = await pochta(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command/);
});
