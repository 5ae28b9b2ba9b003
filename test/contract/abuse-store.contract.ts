/**
 * Conformance suite for `AbuseStore` (src/store/types.ts): greylist entries and IP bans with expiry, written only
 * against the interface so every Store implementation runs it: `runAbuseStoreContract(name, makeStore)`.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Store } from '../../src/store/types.js';
import type { StoreHandle } from './store.contract.js';

const T0 = new Date('2026-11-28T00:00:00Z');
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

export function runAbuseStoreContract(name: string, makeStore: () => Promise<StoreHandle>): void {
  describe(`AbuseStore contract: ${name}`, () => {
    let h: StoreHandle;
    let store: Store;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('stores, replaces and reads a greylist entry until it expires', async () => {
      assert.equal(await store.getGreylistEntry('k1', T0), null);
      await store.putGreylistEntry({ key: 'k1', firstSeen: T0, lastSeen: T0, passed: false, expiresAt: at(100) });
      assert.deepEqual(await store.getGreylistEntry('k1', at(1)), { key: 'k1', firstSeen: T0, lastSeen: T0, passed: false, expiresAt: at(100) });
      await store.putGreylistEntry({ key: 'k1', firstSeen: T0, lastSeen: at(50), passed: true, expiresAt: at(1000) });
      const e = await store.getGreylistEntry('k1', at(500));
      assert.equal(e?.passed, true);
      assert.deepEqual(e?.lastSeen, at(50));
      assert.equal(await store.getGreylistEntry('k1', at(1000)), null);
    });

    it('adds, lists, reads and removes bans; expired bans are not in force', async () => {
      await store.addBan({ ip: '192.0.2.7', reason: 'dictionary attack', createdAt: T0, expiresAt: at(60) });
      await store.addBan({ ip: '2001:db8::1', reason: 'auth failures', createdAt: T0, expiresAt: at(600) });
      assert.deepEqual((await store.listBans(at(1))).map((b) => b.ip), ['192.0.2.7', '2001:db8::1']);
      assert.deepEqual(await store.getBan('192.0.2.7', at(1)), { ip: '192.0.2.7', reason: 'dictionary attack', createdAt: T0, expiresAt: at(60) });
      assert.equal(await store.getBan('192.0.2.7', at(60)), null);
      assert.deepEqual((await store.listBans(at(61))).map((b) => b.ip), ['2001:db8::1']);
      assert.equal(await store.removeBan('2001:db8::1'), true);
      assert.equal(await store.removeBan('2001:db8::1'), false);
      assert.deepEqual((await store.listBans(at(1))).map((b) => b.ip), ['192.0.2.7']);
    });

    it('a new ban of the same IP replaces the old one', async () => {
      await store.addBan({ ip: '192.0.2.7', reason: 'first', createdAt: T0, expiresAt: at(60) });
      await store.addBan({ ip: '192.0.2.7', reason: 'second', createdAt: at(30), expiresAt: at(600) });
      const bans = await store.listBans(at(100));
      assert.deepEqual(bans.map((b) => [b.ip, b.reason]), [['192.0.2.7', 'second']]);
    });

    it('expireAbuseState deletes what expired and keeps the rest', async () => {
      await store.putGreylistEntry({ key: 'old', firstSeen: T0, lastSeen: T0, passed: false, expiresAt: at(10) });
      await store.putGreylistEntry({ key: 'new', firstSeen: T0, lastSeen: T0, passed: true, expiresAt: at(1000) });
      await store.addBan({ ip: '192.0.2.8', reason: 'x', createdAt: T0, expiresAt: at(10) });
      assert.equal(await store.expireAbuseState(at(20)), 2);
      assert.equal(await store.expireAbuseState(at(20)), 0);
      assert.notEqual(await store.getGreylistEntry('new', at(20)), null);
    });

    it('keeps the state across a reopen', async (t) => {
      if (h.reopen === undefined) return t.skip('no reopen');
      await store.putGreylistEntry({ key: 'k', firstSeen: T0, lastSeen: T0, passed: true, expiresAt: at(1000) });
      await store.addBan({ ip: '192.0.2.9', reason: 'x', createdAt: T0, expiresAt: at(1000) });
      store = await h.reopen();
      assert.equal((await store.getGreylistEntry('k', at(1)))?.passed, true);
      assert.equal((await store.getBan('192.0.2.9', at(1)))?.reason, 'x');
    });
  });
}
