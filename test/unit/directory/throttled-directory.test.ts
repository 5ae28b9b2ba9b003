import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Directory } from '../../../src/directory/directory.js';
import { LoginThrottle } from '../../../src/directory/login-throttle.js';
import { ThrottledDirectory } from '../../../src/directory/throttled-directory.js';
import type { Account } from '../../../src/store/types.js';

const account = { id: 7, address: 'bob@example.org', domain: 'example.org' } as Account;

/** A directory answering fixed values; the throttle wrapper must hand every call through unchanged. */
function fixed(withGroups: boolean): Directory {
  return {
    authenticate: async () => null,
    resolveRecipient: async (a) => (a === 'team@example.org' ? { kind: 'local', targets: [{ account, address: a }], remote: [] } : { kind: 'unknown' }),
    addressesOf: async (acc) => [acc.address, 'b.jones@example.org'],
    isLocalDomain: async (d) => d === 'example.org',
    ...(withGroups ? { groupsOf: async (acc: Account) => (acc.id === 7 ? ['team@example.org', 'everyone@example.org'] : []) } : {}),
  };
}

test('passes groupsOf, resolveRecipient, addressesOf and isLocalDomain through to the wrapped directory', async () => {
  const d = new ThrottledDirectory(fixed(true), new LoginThrottle());
  assert.deepEqual(await d.groupsOf(account), ['team@example.org', 'everyone@example.org']);
  assert.deepEqual(await d.addressesOf(account), ['bob@example.org', 'b.jones@example.org']);
  assert.equal((await d.resolveRecipient('team@example.org')).kind, 'local');
  assert.equal(await d.isLocalDomain('example.org'), true);
  assert.equal(await d.isLocalDomain('other.test'), false);
});

test('answers no groups when the wrapped directory has no groupsOf (internal accounts)', async () => {
  assert.deepEqual(await new ThrottledDirectory(fixed(false), new LoginThrottle()).groupsOf(account), []);
});
