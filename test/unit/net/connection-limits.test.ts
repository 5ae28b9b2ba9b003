import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionLimiter } from '../../../src/net/connection-limits.js';

test('refuses a connection over the per-IP limit and takes no slot for it', () => {
  const limiter = new ConnectionLimiter({ maxPerIp: 2 });
  assert.equal(limiter.tryAcquire('192.0.2.1'), null);
  assert.equal(limiter.tryAcquire('192.0.2.1'), null);
  assert.equal(limiter.tryAcquire('192.0.2.1'), 'per-ip');
  assert.equal(limiter.tryAcquire('192.0.2.2'), null);
  assert.equal(limiter.total, 3);
  limiter.release('192.0.2.1');
  assert.equal(limiter.tryAcquire('192.0.2.1'), null);
});

test('an IPv4-mapped IPv6 address counts as its IPv4 address', () => {
  const limiter = new ConnectionLimiter({ maxPerIp: 1 });
  assert.equal(limiter.tryAcquire('192.0.2.1'), null);
  assert.equal(limiter.tryAcquire('::ffff:192.0.2.1'), 'per-ip');
  assert.equal(limiter.countFor('::FFFF:192.0.2.1'), 1);
});

test('the total limit applies before the per-IP one; connections without an IP count only in the total', () => {
  const limiter = new ConnectionLimiter({ maxConnections: 2, maxPerIp: 1 });
  assert.equal(limiter.tryAcquire(undefined), null);
  assert.equal(limiter.tryAcquire(undefined), null);
  assert.equal(limiter.tryAcquire('192.0.2.1'), 'total');
  limiter.release(undefined);
  assert.equal(limiter.tryAcquire('192.0.2.1'), null);
});

test('no limits means no refusals, and new limits apply to the next connection', () => {
  const limiter = new ConnectionLimiter();
  for (let i = 0; i < 100; i++) assert.equal(limiter.tryAcquire('192.0.2.1'), null);
  limiter.setLimits({ maxPerIp: 100 });
  assert.equal(limiter.tryAcquire('192.0.2.1'), 'per-ip');
});
