import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InternalDirectory, type RecipientResolution } from '../../../src/directory/directory.js';
import { hashPassword, verifyPassword } from '../../../src/directory/passwords.js';
import type { Store } from '../../../src/store/types.js';
import { makeTempStore } from '../../helpers/store-temp.js';

/** Addresses of a resolution's local targets, sorted, for compact assertions. */
function targetsOf(r: RecipientResolution): string[] {
  assert.equal(r.kind, 'local', `expected local, got ${JSON.stringify(r)}`);
  return r.kind === 'local' ? r.targets.map((t) => t.address).sort() : [];
}

describe('authentication', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let hash: string;
  before(async () => {
    ({ store, cleanup } = await makeTempStore());
    hash = await hashPassword('first-Secret-42');
    await store.addDomain({ name: 'example.org' });
    await store.createAccount({ address: 'alice@example.org', passwordHash: hash });
    await store.createAccount({ address: 'off@example.org', passwordHash: hash, enabled: false });
  });
  after(() => cleanup());

  function countingDirectory(): { dir: InternalDirectory; calls: () => number } {
    let n = 0;
    const dir = new InternalDirectory(store, {
      verify: (pw, h) => {
        n++;
        return verifyPassword(pw, h);
      },
    });
    return { dir, calls: () => n };
  }

  test('logs in with the full address in any case and IDN spelling', async () => {
    const { dir } = countingDirectory();
    assert.equal((await dir.authenticate('Alice@EXAMPLE.org', 'first-Secret-42'))?.address, 'alice@example.org');
  });

  test('a second login with the same credentials does not run argon2 again', async () => {
    const { dir, calls } = countingDirectory();
    assert.ok(await dir.authenticate('alice@example.org', 'first-Secret-42'));
    assert.equal(calls(), 1);
    assert.ok(await dir.authenticate('alice@example.org', 'first-Secret-42'));
    assert.equal(calls(), 1);
  });

  test('a wrong password is refused and not cached as good', async () => {
    const { dir, calls } = countingDirectory();
    assert.equal(await dir.authenticate('alice@example.org', 'wrong-password'), null);
    assert.equal(await dir.authenticate('alice@example.org', 'wrong-password'), null);
    assert.equal(calls(), 2);
    assert.equal(dir.cache.size, 0);
  });

  test('an unknown login is refused after a dummy verify', async () => {
    const { dir, calls } = countingDirectory();
    assert.equal(await dir.authenticate('nobody@example.org', 'first-Secret-42'), null);
    assert.equal(calls(), 1);
    assert.equal(await dir.authenticate('not an address', 'x'), null);
  });

  test('a disabled account cannot log in, even with a cached entry', async () => {
    const { dir } = countingDirectory();
    assert.equal(await dir.authenticate('off@example.org', 'first-Secret-42'), null);
    await store.createAccount({ address: 'soon-off@example.org', passwordHash: hash });
    assert.ok(await dir.authenticate('soon-off@example.org', 'first-Secret-42'));
    await store.updateAccount('soon-off@example.org', { enabled: false });
    assert.equal(await dir.authenticate('soon-off@example.org', 'first-Secret-42'), null);
  });

  test('a password change invalidates the cached entry at once', async () => {
    const { dir, calls } = countingDirectory();
    await store.createAccount({ address: 'bob@example.org', passwordHash: hash });
    assert.ok(await dir.authenticate('bob@example.org', 'first-Secret-42'));
    await store.updateAccount('bob@example.org', { passwordHash: await hashPassword('second-Secret-43') });
    assert.equal(await dir.authenticate('bob@example.org', 'first-Secret-42'), null);
    assert.equal(calls(), 2);
    assert.ok(await dir.authenticate('bob@example.org', 'second-Secret-43'));
  });
});

describe('recipient resolution', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let dir: InternalDirectory;
  before(async () => {
    ({ store, cleanup } = await makeTempStore());
    dir = new InternalDirectory(store);
    await store.addDomain({ name: 'example.org' });
    await store.addDomain({ name: 'catch.example', unknownPolicy: 'catch-all', catchAll: 'bucket@catch.example' });
    await store.addDomain({ name: 'xn--e1afmkfd.xn--p1ai' }); // пример.рф
    await store.addDomain({ name: 'empty.example' });
    for (const a of ['alice', 'bob', 'carol', 'dave']) {
      await store.createAccount({ address: `${a}@example.org`, passwordHash: 'x' });
    }
    await store.createAccount({ address: 'gone@example.org', passwordHash: 'x', enabled: false });
    await store.createAccount({ address: 'bucket@catch.example', passwordHash: 'x' });
    await store.createAccount({ address: 'ivan@xn--e1afmkfd.xn--p1ai', passwordHash: 'x' });
    await store.addAlias('team@example.org', ['alice@example.org', 'bob@example.org', 'carol@example.org']);
    await store.addAlias('all@example.org', ['team@example.org', 'dave@example.org', 'alice@example.org']);
    await store.addAlias('ext@example.org', ['alice@example.org', 'friend@remote.example']);
    await store.addAlias('ping@example.org', ['pong@example.org']);
    await store.addAlias('pong@example.org', ['ping@example.org']);
    await store.addAlias('half@example.org', ['ping@example.org', 'dave@example.org']);
    await store.addAlias('sales@catch.example', ['alice@example.org']);
  });
  after(() => cleanup());

  test('finds an account by its exact address in any case', async () => {
    assert.deepEqual(targetsOf(await dir.resolveRecipient('ALICE@Example.ORG')), ['alice@example.org']);
  });

  test('fans an alias out to three accounts', async () => {
    const r = await dir.resolveRecipient('team@example.org');
    assert.deepEqual(targetsOf(r), ['alice@example.org', 'bob@example.org', 'carol@example.org']);
    assert.equal(r.kind === 'local' && r.remote.length, 0);
  });

  test('expands nested aliases and delivers once per account', async () => {
    const r = await dir.resolveRecipient('all@example.org');
    assert.deepEqual(targetsOf(r), ['alice@example.org', 'bob@example.org', 'carol@example.org', 'dave@example.org']);
  });

  test('separates remote alias targets', async () => {
    const r = await dir.resolveRecipient('ext@example.org');
    assert.deepEqual(targetsOf(r), ['alice@example.org']);
    assert.deepEqual(r.kind === 'local' && r.remote, ['friend@remote.example']);
  });

  test('reports an alias cycle as a loop', async () => {
    assert.deepEqual(await dir.resolveRecipient('ping@example.org'), { kind: 'loop', reason: 'cycle' });
  });

  test('still delivers to the other members of an alias that contains a cycle', async () => {
    assert.deepEqual(targetsOf(await dir.resolveRecipient('half@example.org')), ['dave@example.org']);
  });

  test('stops at the nesting limit', async () => {
    for (let i = 0; i < 25; i++) await store.addAlias(`deep${i}@example.org`, [`deep${i + 1}@example.org`]);
    await store.addAlias('deep25@example.org', ['alice@example.org']);
    assert.deepEqual(await dir.resolveRecipient('deep0@example.org'), { kind: 'loop', reason: 'depth' });
    assert.deepEqual(targetsOf(await dir.resolveRecipient('deep10@example.org')), ['alice@example.org']);
  });

  test('refuses an expansion larger than the fan-out limit', async () => {
    const small = new InternalDirectory(store, { maxTargets: 2 });
    assert.deepEqual(await small.resolveRecipient('team@example.org'), { kind: 'loop', reason: 'fan-out' });
  });

  test('routes user+tag to the user and keeps the tag in the delivered address', async () => {
    const r = await dir.resolveRecipient('bob+lists@example.org');
    assert.equal(r.kind === 'local' && r.targets[0]?.account.address, 'bob@example.org');
    assert.deepEqual(targetsOf(r), ['bob+lists@example.org']);
  });

  test('routes alias+tag through the alias and honours other separators', async () => {
    assert.equal(targetsOf(await dir.resolveRecipient('team+x@example.org')).length, 3);
    assert.deepEqual(await dir.resolveRecipient('bob-x@example.org'), { kind: 'unknown' });
    assert.deepEqual(targetsOf(await dir.resolveRecipient('bob-x@example.org', { plusSeparator: '+-' })), ['bob-x@example.org']);
    assert.deepEqual(await dir.resolveRecipient('bob+x@example.org', { plusSeparator: '' }), { kind: 'unknown' });
  });

  test('rejects unknown users of a domain without catch-all', async () => {
    assert.deepEqual(await dir.resolveRecipient('nobody@example.org'), { kind: 'unknown' });
  });

  test('sends unknown users of a catch-all domain to the catch-all address', async () => {
    assert.deepEqual(targetsOf(await dir.resolveRecipient('whoever@catch.example')), ['bucket@catch.example']);
    assert.deepEqual(targetsOf(await dir.resolveRecipient('sales@catch.example')), ['alice@example.org']);
  });

  test('stops using the catch-all when the domain policy switches back to reject', async () => {
    await store.updateDomain('catch.example', { unknownPolicy: 'reject' });
    try {
      assert.deepEqual(await dir.resolveRecipient('whoever@catch.example'), { kind: 'unknown' });
    } finally {
      await store.updateDomain('catch.example', { unknownPolicy: 'catch-all', catchAll: 'bucket@catch.example' });
    }
  });

  test('refuses a disabled account', async () => {
    assert.deepEqual(await dir.resolveRecipient('gone@example.org'), { kind: 'disabled' });
    assert.deepEqual(await dir.resolveRecipient('gone+tag@example.org'), { kind: 'disabled' });
  });

  test('answers not-local for domains not served here', async () => {
    assert.deepEqual(await dir.resolveRecipient('alice@elsewhere.example'), { kind: 'not-local' });
    assert.deepEqual(await dir.resolveRecipient('no-at-sign'), { kind: 'unknown' });
  });

  test('resolves an IDN domain given in U-labels', async () => {
    assert.deepEqual(targetsOf(await dir.resolveRecipient('Ivan@Пример.РФ')), ['ivan@xn--e1afmkfd.xn--p1ai']);
    assert.equal(await dir.isLocalDomain('пример.рф'), true);
    assert.equal(await dir.isLocalDomain('elsewhere.example'), false);
  });

  test('always accepts postmaster@ a served domain (RFC 5321 §4.5.1)', async () => {
    // catch-all domain: the catch-all address
    assert.deepEqual(targetsOf(await dir.resolveRecipient('postmaster@catch.example')), ['bucket@catch.example']);
    // the configured postmaster address
    assert.deepEqual(
      targetsOf(await dir.resolveRecipient('postmaster@example.org', { postmaster: 'carol@example.org' })),
      ['carol@example.org'],
    );
    // otherwise the oldest enabled account of the domain, else of the server
    assert.deepEqual(targetsOf(await dir.resolveRecipient('postmaster@example.org')), ['alice@example.org']);
    assert.deepEqual(targetsOf(await dir.resolveRecipient('PostMaster@empty.example')), ['alice@example.org']);
  });

  test('lists the addresses an account receives mail for', async () => {
    const alice = await store.getAccount('alice@example.org');
    assert.ok(alice);
    const addrs = await dir.addressesOf(alice);
    for (const a of ['alice@example.org', 'team@example.org', 'all@example.org', 'ext@example.org', 'sales@catch.example']) {
      assert.ok(addrs.includes(a), `${a} missing from ${addrs.join(', ')}`);
    }
    assert.equal(addrs.includes('dave@example.org'), false);
  });
});
