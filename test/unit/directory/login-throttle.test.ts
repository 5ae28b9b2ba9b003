import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../../src/directory/login-throttle.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('after two free failures the delay starts at 1 s and doubles up to 15 s', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now });
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    delays.push(th.check('192.0.2.1', 'bob@example.org').delayMs);
    th.recordFailure('192.0.2.1', 'bob@example.org');
  }
  assert.deepEqual(delays, [0, 0, 1000, 2000, 4000, 8000, 15_000, 15_000]);
});

test('failures against one account delay other IPs trying it, but do not ban them', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now });
  for (let i = 0; i < 30; i++) th.recordFailure(`198.51.100.${i}`, 'Bob@Example.org');
  const v = th.check('203.0.113.9', 'bob@example.org');
  assert.equal(v.banned, false);
  assert.equal(v.delayMs, 15_000);
  assert.deepEqual(th.check('203.0.113.9', 'alice@example.org'), { delayMs: 0, banned: false });
});

test('a success resets the account and the IP delay', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now });
  for (let i = 0; i < 5; i++) th.recordFailure('192.0.2.1', 'bob');
  assert.ok(th.check('192.0.2.1', 'bob').delayMs > 0);
  th.recordSuccess('192.0.2.1', 'bob');
  assert.deepEqual(th.check('192.0.2.1', 'bob'), { delayMs: 0, banned: false });
});

test('20 failures from one IP within 10 minutes ban it for 15 minutes', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now });
  for (let i = 0; i < 19; i++) {
    th.recordFailure('192.0.2.7', `user${i}`);
    c.advance(20_000);
  }
  assert.equal(th.check('192.0.2.7', 'someone').banned, false);
  th.recordFailure('192.0.2.7', 'user19');
  assert.equal(th.check('192.0.2.7', 'someone').banned, true);
  assert.equal(th.check('192.0.2.8', 'someone').banned, false);
  assert.equal(th.bannedIps().length, 1);
  c.advance(15 * 60_000 - 1);
  assert.equal(th.check('192.0.2.7', 'someone').banned, true);
  c.advance(2);
  assert.equal(th.check('192.0.2.7', 'someone').banned, false);
});

test('failures spread over more than the window do not ban', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now });
  for (let i = 0; i < 40; i++) {
    th.recordFailure('192.0.2.7', `user${i}`);
    c.advance(60_000);
  }
  assert.equal(th.check('192.0.2.7', 'x').banned, false);
});

test('a success does not clear the ban window', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, banFailures: 4 });
  th.recordFailure('192.0.2.7', 'a');
  th.recordFailure('192.0.2.7', 'b');
  th.recordSuccess('192.0.2.7', 'c');
  th.recordFailure('192.0.2.7', 'd');
  th.recordFailure('192.0.2.7', 'e');
  assert.equal(th.check('192.0.2.7', 'f').banned, true);
});

test('idle entries are forgotten', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now });
  for (let i = 0; i < 5; i++) th.recordFailure('192.0.2.1', 'bob');
  c.advance(31 * 60_000);
  assert.deepEqual(th.check('192.0.2.1', 'bob'), { delayMs: 0, banned: false });
  assert.deepEqual(th.size, { ips: 0, logins: 0 });
});

test('memory is bounded: the least recently touched entries go first', () => {
  const c = clock();
  const th = new LoginThrottle({ now: c.now, maxEntries: 100 });
  for (let i = 0; i < 1000; i++) {
    for (let k = 0; k < 3; k++) th.recordFailure(`10.0.${i >> 8}.${i & 255}`, `user${i}`);
  }
  assert.deepEqual(th.size, { ips: 100, logins: 100 });
  assert.ok(th.check('10.0.3.231', 'user999').delayMs > 0);
  assert.equal(th.check('10.0.0.0', 'user0').delayMs, 0);
});
