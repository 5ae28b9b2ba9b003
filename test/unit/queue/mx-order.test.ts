import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropSelfAndLessPreferred, isIpLiteralExchange, isNullMx, orderMx } from '../../../src/protocols/smtp/client/mx.js';
import { parseReply } from '../../../src/protocols/smtp/client/reply.js';

const records = [
  { exchange: 'c.example.com', priority: 20 },
  { exchange: 'a1.example.com', priority: 10 },
  { exchange: 'a2.example.com', priority: 10 },
  { exchange: 'a3.example.com', priority: 10 },
  { exchange: 'b.example.com', priority: 15 },
];

test('MX hosts are tried lowest preference first', () => {
  const order = orderMx(records).map((r) => r.priority);
  assert.deepEqual(order, [10, 10, 10, 15, 20]);
});

test('hosts of equal preference are shuffled: the set stays, the order varies', () => {
  const seen = new Set<string>();
  let seed = 1;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 30; i++) {
    const first3 = orderMx(records, random).slice(0, 3).map((r) => r.exchange);
    assert.deepEqual([...first3].sort(), ['a1.example.com', 'a2.example.com', 'a3.example.com']);
    seen.add(first3.join(','));
  }
  assert.ok(seen.size > 1, 'equal-preference hosts always came in the same order');
});

test('duplicate exchanges and trailing dots collapse', () => {
  const out = orderMx([{ exchange: 'MX.example.com.', priority: 5 }, { exchange: 'mx.example.com', priority: 10 }]);
  assert.deepEqual(out, [{ exchange: 'mx.example.com', priority: 5 }]);
});

test('null MX and IP-literal exchanges are recognised', () => {
  assert.equal(isNullMx([{ exchange: '', priority: 0 }]), true);
  assert.equal(isNullMx([{ exchange: '.', priority: 0 }]), true);
  assert.equal(isNullMx(records), false);
  assert.equal(isIpLiteralExchange('192.0.2.1'), true);
  assert.equal(isIpLiteralExchange('[192.0.2.1]'), true);
  assert.equal(isIpLiteralExchange('mx.example.com'), false);
});

test('replies give code and enhanced status, defaulting by class', () => {
  assert.deepEqual(parseReply('550 5.1.1 <x@y>: no such user'), { code: 550, enhanced: '5.1.1', text: '550 5.1.1 <x@y>: no such user' });
  assert.equal(parseReply('451 try later')?.enhanced, '4.0.0');
  assert.equal(parseReply('550-first\n550 second')?.text, '550-first 550 second');
  assert.equal(parseReply('garbage'), null);
});

test('our own host in the MX list: only more preferred hosts are tried, none means a loop (RFC 5321 §5.1)', () => {
  const ordered = orderMx(records);
  assert.deepEqual(
    dropSelfAndLessPreferred(ordered, 'B.example.com.').map((r) => r.exchange).sort(),
    ['a1.example.com', 'a2.example.com', 'a3.example.com'],
  );
  assert.deepEqual(dropSelfAndLessPreferred(ordered, 'a2.example.com'), []);
  assert.equal(dropSelfAndLessPreferred(ordered, 'elsewhere.example').length, 5);
});
