import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyBuffers } from '../../../../src/protocols/pop3/reply-buffers.js';

test('a buffer given back is reused for a reply that fits, and never handed out twice at once', () => {
  const pool = new ReplyBuffers();
  const a = pool.take(15_000);
  assert.equal(a.length, 15_000);
  const b = pool.take(15_000);
  assert.notEqual(a.buffer, b.buffer, 'two replies in flight use different memory');
  pool.give(a);
  pool.give(a); // a second give of the same reply must not let two later takes share it
  const c = pool.take(12_000);
  assert.equal(c.buffer, a.buffer);
  assert.equal(c.length, 12_000);
  assert.notEqual(pool.take(12_000).buffer, a.buffer);
});

test('memory too small, too large or not from the pool is not reused', () => {
  const pool = new ReplyBuffers();
  const small = pool.take(100);
  pool.give(small);
  assert.notEqual(pool.take(200_000).buffer, small.buffer, 'a larger reply gets new memory');
  const huge = pool.take(600_000);
  pool.give(huge);
  assert.notEqual(pool.take(600_000).buffer, huge.buffer, 'very large buffers are left to the GC');
  const foreign = Buffer.allocUnsafe(100);
  pool.give(foreign);
  assert.notEqual(pool.take(50).buffer, foreign.buffer, "Node's shared pool is never reused as a reply");
});
