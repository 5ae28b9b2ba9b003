import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthCache } from '../../../src/directory/auth-cache.js';

test('remembers a verified login until its TTL runs out', () => {
  let now = 1000;
  const cache = new AuthCache({ ttlMs: 60_000, now: () => now });
  cache.remember('a@example.org', 'pw', 7, '$hash');
  assert.deepEqual(cache.lookup('a@example.org', 'pw'), { accountId: 7, passwordHash: '$hash' });
  now += 59_999;
  assert.ok(cache.lookup('a@example.org', 'pw'));
  now += 1;
  assert.equal(cache.lookup('a@example.org', 'pw'), null);
  assert.equal(cache.size, 0);
});

test('misses for another password or another login', () => {
  const cache = new AuthCache();
  cache.remember('a@example.org', 'pw', 7, '$hash');
  assert.equal(cache.lookup('a@example.org', 'pw2'), null);
  assert.equal(cache.lookup('b@example.org', 'pw'), null);
  // The length prefix keeps ("a", "b\0c") and ("a\0b", "c") apart.
  cache.remember('x', 'y\0z', 1, 'h');
  assert.equal(cache.lookup('x\0y', 'z'), null);
});

test('never keeps the password in the cache', () => {
  const cache = new AuthCache();
  cache.remember('a@example.org', 'very-secret-password', 7, '$hash');
  const dump = JSON.stringify([...(cache as unknown as { entries: Map<string, unknown> }).entries]);
  assert.equal(dump.includes('very-secret-password'), false);
  assert.equal(dump.includes('a@example.org'), false);
});

test('evicts the oldest entry when full', () => {
  const cache = new AuthCache({ maxEntries: 2 });
  cache.remember('a', 'p', 1, 'h');
  cache.remember('b', 'p', 2, 'h');
  cache.remember('c', 'p', 3, 'h');
  assert.equal(cache.size, 2);
  assert.equal(cache.lookup('a', 'p'), null);
  assert.ok(cache.lookup('b', 'p'));
  assert.ok(cache.lookup('c', 'p'));
});

test('a TTL of 0 disables caching', () => {
  const cache = new AuthCache({ ttlMs: 0 });
  cache.remember('a', 'p', 1, 'h');
  assert.equal(cache.lookup('a', 'p'), null);
});
