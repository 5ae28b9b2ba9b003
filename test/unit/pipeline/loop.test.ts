import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHopCount, detectLoop } from '../../../src/pipeline/loop.js';

const msg = (headers: string[]): Buffer => Buffer.from(headers.join('\r\n') + '\r\n\r\nbody\r\nDelivered-To: in@body.example\r\n');

test('lets a message without trace headers through', () => {
  assert.equal(detectLoop(msg(['Subject: hi']), 'alice@example.org', 50), null);
});

test('refuses a message already delivered to this recipient (qmail rule)', () => {
  const m = msg(['Delivered-To: Alice@Example.org', 'Subject: hi']);
  const err = detectLoop(m, 'alice@example.org', 50);
  assert.ok(err);
  assert.equal(err.code, 554);
  assert.equal(err.enhanced, '5.4.6');
  assert.equal(err.temporary, false);
});

test('accepts a Delivered-To for another recipient', () => {
  assert.equal(detectLoop(msg(['Delivered-To: bob@example.org']), 'alice@example.org', 50), null);
});

test('ignores a Delivered-To line inside the body', () => {
  assert.equal(detectLoop(msg(['Subject: x']), 'in@body.example', 50), null);
});

test('refuses more Received fields than allowed, counting folded ones once', () => {
  const three = msg(['Received: from a', '\tby b; date', 'Received: from c', 'Received: from d']);
  assert.equal(checkHopCount(three, 3), null);
  const err = checkHopCount(three, 2);
  assert.ok(err);
  assert.equal(err.enhanced, '5.4.6');
  assert.ok(detectLoop(three, 'x@example.org', 2));
});
