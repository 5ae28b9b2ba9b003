/**
 * ConfiguredDirectory with an in-process DirectorySource (a plain implementation of the interface, the
 * way tests of the internal directory use a real temp store): provisioning, routing per domain, groups,
 * temporary failures as MailErrors, the one-authority-per-domain rule, and the login cache.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfiguredDirectory } from '../../../src/directory/configured-directory.js';
import { InternalDirectory } from '../../../src/directory/directory.js';
import { SourceUnavailableError } from '../../../src/directory/errors.js';
import { hashPassword } from '../../../src/directory/passwords.js';
import type { DirectorySource, DirectoryUser, SourceLookup } from '../../../src/directory/source.js';
import { MailError } from '../../../src/lib/errors.js';
import { makeTempStore, type TempStore } from '../../helpers/store-temp.js';

class TableSource implements DirectorySource {
  readonly kind = 'ldap';
  down = false;
  constructor(
    readonly domains: string[],
    private readonly users: Record<string, { password: string; addresses: string[] }>,
    private readonly groups: Record<string, string[]>,
  ) {}
  verifies = 0;
  async verify(login: string, password: string): Promise<DirectoryUser | null> {
    this.verifies++;
    if (this.down) throw new SourceUnavailableError('down');
    const u = this.find(login);
    return u !== null && u.password === password ? { address: u.addresses[0] as string, addresses: u.addresses } : null;
  }
  async lookup(address: string): Promise<SourceLookup> {
    if (this.down) throw new SourceUnavailableError('down');
    const u = this.find(address);
    if (u !== null) return { kind: 'user', user: { address: u.addresses[0] as string, addresses: u.addresses } };
    const g = this.groups[address];
    return g === undefined ? { kind: 'none' } : { kind: 'group', address, members: g };
  }
  async groupsOf(address: string): Promise<string[]> {
    return Object.entries(this.groups).filter(([, m]) => m.includes(address)).map(([g]) => g);
  }
  async close(): Promise<void> {}
  private find(a: string): { password: string; addresses: string[] } | null {
    return Object.values(this.users).find((u) => u.addresses.includes(a)) ?? null;
  }
}

let ts: TempStore;
let src: TableSource;
let dir: ConfiguredDirectory;

before(async () => {
  ts = await makeTempStore();
  await ts.store.addDomain({ name: 'internal.example' });
  await ts.store.createAccount({ address: 'ivan@internal.example', passwordHash: await hashPassword('internal-pw') });
  src = new TableSource(
    ['corp.example'],
    { alice: { password: 'alice-pw', addresses: ['alice@corp.example', 'a.smith@corp.example'] }, bob: { password: 'bob-pw', addresses: ['bob@corp.example'] } },
    { 'team@corp.example': ['alice@corp.example', 'bob@corp.example', 'ivan@internal.example', 'ext@remote.example'], 'loop@corp.example': ['loop@corp.example'] },
  );
  dir = new ConfiguredDirectory(ts.store, new InternalDirectory(ts.store), [src]);
});

after(async () => {
  await ts.cleanup();
});

test('creates the mailbox of a directory user at first login, marked as an external password', async () => {
  assert.equal(await ts.store.getAccount('alice@corp.example'), null);
  const a = await dir.authenticate('Alice@Corp.Example', 'alice-pw');
  assert.equal(a?.address, 'alice@corp.example');
  assert.equal(a?.passwordHash, '{EXTERNAL}ldap');
  assert.equal((await ts.store.getAccount('alice@corp.example'))?.id, a?.id);
  assert.equal(await dir.authenticate('alice@corp.example', 'wrong'), null);
  assert.equal(await dir.authenticate('alice@corp.example', '{EXTERNAL}ldap'), null);
});

test('keeps internal domains on the internal accounts', async () => {
  assert.equal((await dir.authenticate('ivan@internal.example', 'internal-pw'))?.address, 'ivan@internal.example');
  assert.equal(await dir.isLocalDomain('corp.example'), true);
  assert.equal(await dir.isLocalDomain('internal.example'), true);
  assert.equal(await dir.isLocalDomain('remote.example'), false);
});

test('a user in two sources logs in only with the password of the source that owns the domain', async () => {
  await ts.store.addDomain({ name: 'corp.example' }).catch(() => undefined);
  await ts.store.createAccount({ address: 'bob@corp.example', passwordHash: await hashPassword('bob-internal') });
  assert.equal(await dir.authenticate('bob@corp.example', 'bob-internal'), null);
  assert.equal((await dir.authenticate('bob@corp.example', 'bob-pw'))?.address, 'bob@corp.example');
});

test('resolves alternate addresses, plus tags and groups (members anywhere)', async () => {
  const alt = await dir.resolveRecipient('a.smith@corp.example');
  assert.equal(alt.kind === 'local' && alt.targets[0]?.account.address, 'alice@corp.example');
  const tagged = await dir.resolveRecipient('alice+news@corp.example');
  assert.equal(tagged.kind === 'local' && tagged.targets[0]?.address, 'alice+news@corp.example');
  const team = await dir.resolveRecipient('team@corp.example');
  assert.equal(team.kind, 'local');
  if (team.kind !== 'local') return;
  assert.deepEqual(team.targets.map((t) => t.account.address).sort(), ['alice@corp.example', 'bob@corp.example', 'ivan@internal.example']);
  assert.deepEqual(team.remote, ['ext@remote.example']);
  assert.deepEqual(await dir.resolveRecipient('loop@corp.example'), { kind: 'loop', reason: 'cycle' });
  assert.deepEqual(await dir.resolveRecipient('nobody@corp.example'), { kind: 'unknown' });
});

test('lists the addresses and groups of a directory user', async () => {
  const alice = await ts.store.getAccount('alice@corp.example');
  assert.ok(alice);
  assert.deepEqual((await dir.addressesOf(alice)).sort(), ['a.smith@corp.example', 'alice@corp.example']);
  assert.deepEqual(await dir.groupsOf(alice), ['team@corp.example']);
});

test('a disabled provisioned account is refused even with the right password', async () => {
  await ts.store.updateAccount('alice@corp.example', { enabled: false });
  assert.equal(await dir.authenticate('alice@corp.example', 'alice-pw'), null);
  assert.deepEqual(await dir.resolveRecipient('alice@corp.example'), { kind: 'disabled' });
  await ts.store.updateAccount('alice@corp.example', { enabled: true });
});

test('a source that cannot answer gives temporary MailErrors: 454 for logins, 451 4.4.3 for recipients', async () => {
  src.down = true;
  try {
    // A password not in the login cache (the cache has its own test below) must ask the source.
    await assert.rejects(dir.authenticate('alice@corp.example', 'alice-pw-2'), (e: unknown) => e instanceof MailError && e.temporary && e.code === 454 && e.enhanced === '4.7.0');
    await assert.rejects(dir.resolveRecipient('alice@corp.example'), (e: unknown) => e instanceof MailError && e.temporary && e.code === 451 && e.enhanced === '4.4.3');
    // Internal domains are unaffected.
    assert.ok(await dir.authenticate('ivan@internal.example', 'internal-pw'));
  } finally {
    src.down = false;
  }
});

test('caches a verified directory login (not a wrong one) for the auth cache TTL, and drops it for a disabled account', async () => {
  let now = 1_000_000;
  const d = new ConfiguredDirectory(ts.store, new InternalDirectory(ts.store, { authCache: { ttlMs: 60_000, now: () => now } }), [src]);
  const start = src.verifies;
  assert.equal((await d.authenticate('bob@corp.example', 'bob-pw'))?.address, 'bob@corp.example');
  assert.equal((await d.authenticate('bob@corp.example', 'bob-pw'))?.address, 'bob@corp.example');
  assert.equal(src.verifies - start, 1, 'the second login came from the cache');
  assert.equal(await d.authenticate('bob@corp.example', 'wrong'), null);
  assert.equal(await d.authenticate('bob@corp.example', 'wrong'), null);
  assert.equal(src.verifies - start, 3, 'wrong passwords are never cached');

  src.down = true;
  try {
    assert.ok(await d.authenticate('bob@corp.example', 'bob-pw'), 'cached while the source is down');
    await assert.rejects(d.authenticate('bob@corp.example', 'bob-pw2'), MailError);
    now += 60_001;
    await assert.rejects(d.authenticate('bob@corp.example', 'bob-pw'), MailError, 'expired: the source is asked again');
  } finally {
    src.down = false;
  }
  assert.ok(await d.authenticate('bob@corp.example', 'bob-pw'));
  await ts.store.updateAccount('bob@corp.example', { enabled: false });
  try {
    assert.equal(await d.authenticate('bob@corp.example', 'bob-pw'), null);
  } finally {
    await ts.store.updateAccount('bob@corp.example', { enabled: true });
  }
});
