// forwardConfirmedReverse (RFC 8601 §3 iprev) through NodeResolver and the fake DNS server on 127.0.0.1.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardConfirmedReverse, MAX_PTR_NAMES } from '../../../src/dns/iprev.js';
import { NodeResolver } from '../../../src/dns/node-resolver.js';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';

let fake: FakeDns;
let resolver: NodeResolver;

before(async () => {
  fake = await startFakeDns();
  resolver = new NodeResolver({ servers: [fake.server], timeoutMs: 250, tries: 1 });
});
after(async () => {
  resolver.cancel();
  await fake.close();
});
beforeEach(() => fake.clear());

test('passes when the PTR name resolves back to the IP', async () => {
  fake.addPtr('192.0.2.25', 'MX.Example.COM.');
  fake.add('mx.example.com', 'A', '192.0.2.25');
  assert.deepEqual(await forwardConfirmedReverse(resolver, '192.0.2.25'), {
    status: 'pass',
    names: ['mx.example.com'],
    confirmed: 'mx.example.com',
  });
});

test('passes for IPv6 through AAAA, and for an IPv4-mapped client address through A', async () => {
  fake.addPtr('2001:db8::25', 'mx6.example.com');
  fake.add('mx6.example.com', 'AAAA', '2001:db8:0:0:0:0:0:25');
  assert.equal((await forwardConfirmedReverse(resolver, '2001:db8::25')).status, 'pass');
  fake.addPtr('192.0.2.26', 'mx.example.com');
  fake.add('mx.example.com', 'A', '192.0.2.26');
  assert.equal((await forwardConfirmedReverse(resolver, '::ffff:192.0.2.26')).status, 'pass');
});

test('confirms through any of several PTR names', async () => {
  fake.addPtr('192.0.2.30', 'unrelated.example.net');
  fake.addPtr('192.0.2.30', 'good.example.com');
  fake.add('unrelated.example.net', 'A', '198.51.100.1');
  fake.add('good.example.com', 'A', '192.0.2.30');
  const result = await forwardConfirmedReverse(resolver, '192.0.2.30');
  assert.equal(result.status, 'pass');
  assert.equal(result.confirmed, 'good.example.com');
  assert.equal(result.names.length, 2);
});

test('fails when the PTR name points elsewhere or does not exist', async () => {
  fake.addPtr('192.0.2.40', 'forged.example.com');
  fake.add('forged.example.com', 'A', '198.51.100.40');
  assert.deepEqual(await forwardConfirmedReverse(resolver, '192.0.2.40'), {
    status: 'fail',
    names: ['forged.example.com'],
    confirmed: null,
  });
  fake.addPtr('192.0.2.41', 'missing.example.com');
  assert.equal((await forwardConfirmedReverse(resolver, '192.0.2.41')).status, 'fail');
});

test('is none when the IP has no PTR record', async () => {
  assert.deepEqual(await forwardConfirmedReverse(resolver, '192.0.2.50'), { status: 'none', names: [], confirmed: null });
});

test('a PTR lookup that times out is temperror, never a pass', async () => {
  fake.addPtr('192.0.2.60', 'mx.example.com');
  fake.add('mx.example.com', 'A', '192.0.2.60');
  fake.setTimeout('60.2.0.192.in-addr.arpa');
  assert.equal((await forwardConfirmedReverse(resolver, '192.0.2.60')).status, 'temperror');
});

test('a forward lookup with SERVFAIL is temperror rather than fail', async () => {
  fake.addPtr('192.0.2.70', 'mx.example.com');
  fake.setServfail('mx.example.com');
  const result = await forwardConfirmedReverse(resolver, '192.0.2.70');
  assert.equal(result.status, 'temperror');
  assert.deepEqual(result.names, ['mx.example.com']);
});

test(`checks at most ${MAX_PTR_NAMES} PTR names`, async () => {
  for (let i = 0; i < MAX_PTR_NAMES + 2; i++) fake.addPtr('192.0.2.80', `n${i}.example.com`);
  fake.add(`n${MAX_PTR_NAMES + 1}.example.com`, 'A', '192.0.2.80');
  const result = await forwardConfirmedReverse(resolver, '192.0.2.80');
  assert.equal(result.names.length, MAX_PTR_NAMES + 2);
  assert.equal(result.status, 'fail');
  assert.equal(fake.queries.filter((q) => q.type === 'A').length, MAX_PTR_NAMES);
});
