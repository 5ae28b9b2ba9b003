// directory/login-throttle.ts with the store's ban table: bans written with their reason, read back, lifted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginThrottle } from '../../../src/directory/login-throttle.js';
import type { Ban } from '../../../src/store/types.js';

function memoryBans() {
  const bans = new Map<string, Ban>();
  return {
    bans,
    fail: false,
    async addBan(b: Ban) {
      if (this.fail) throw new Error('disk full');
      bans.set(b.ip, b);
    },
    async listBans(now: Date) {
      return [...bans.values()].filter((b) => b.expiresAt > now);
    },
  };
}

describe('login bans in the store', () => {
  const opts = { freeFailures: 0, baseDelayMs: 0, banFailures: 3, banWindowMs: 600_000, banDurationMs: 900_000 };

  it('writes the ban with its reason under the canonical IP and refuses that IP only', async () => {
    const store = memoryBans();
    const t = new LoginThrottle(opts, { bans: store, refreshMs: 60_000 });
    try {
      for (let i = 0; i < 3; i++) t.recordFailure('::ffff:192.0.2.7', 'a@x.test');
      await new Promise((r) => setImmediate(r));
      const ban = store.bans.get('192.0.2.7');
      assert.ok(ban);
      assert.equal(ban.reason, '3 failed logins within 10 min');
      assert.equal(ban.expiresAt.getTime() - ban.createdAt.getTime(), 900_000);
      assert.equal(t.check('192.0.2.7', 'b@x.test').banned, true);
      assert.equal(t.check('192.0.2.8', 'b@x.test').banned, false);
    } finally {
      t.close();
    }
  });

  it('honours a removal in the store at the next refresh and forgives the failures', async () => {
    const store = memoryBans();
    const t = new LoginThrottle({ ...opts, baseDelayMs: 1000 }, { bans: store, refreshMs: 60_000 });
    try {
      for (let i = 0; i < 3; i++) t.recordFailure('192.0.2.7', 'a@x.test');
      await t.refresh();
      assert.equal(t.check('192.0.2.7', 'z@x.test').banned, true);
      store.bans.clear(); // pochta ban rm, from another process
      await t.refresh();
      assert.deepEqual(t.check('192.0.2.7', 'z@x.test'), { banned: false, delayMs: 0 });
    } finally {
      t.close();
    }
  });

  it('keeps the ban in memory when the store cannot take it, and reports the error', async () => {
    const store = memoryBans();
    store.fail = true;
    const errors: unknown[] = [];
    const t = new LoginThrottle(opts, { bans: store, refreshMs: 60_000, onError: (e) => errors.push(e) });
    try {
      for (let i = 0; i < 3; i++) t.recordFailure('192.0.2.9', 'a@x.test');
      await new Promise((r) => setImmediate(r));
      await t.refresh();
      assert.equal(errors.length, 1);
      assert.equal(t.check('192.0.2.9', 'a@x.test').banned, true);
    } finally {
      t.close();
    }
  });
});
