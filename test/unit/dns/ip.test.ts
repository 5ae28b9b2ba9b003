import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, parseIp, reverseName, sameIp } from '../../../src/dns/ip.js';

test('reverse name of an IPv4 address reverses the octets under in-addr.arpa', () => {
  assert.equal(reverseName('192.0.2.10'), '10.2.0.192.in-addr.arpa');
});

test('reverse name of an IPv6 address lists all 32 nibbles under ip6.arpa', () => {
  assert.equal(
    reverseName('2001:db8::567:89ab'),
    'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
  );
});

test('an IPv4-mapped IPv6 address is treated as the IPv4 address', () => {
  assert.deepEqual(parseIp('::ffff:192.0.2.1'), { family: 4, address: '192.0.2.1' });
  assert.equal(reverseName('::FFFF:192.0.2.1'), '1.2.0.192.in-addr.arpa');
  assert.ok(sameIp('::ffff:c000:201', '192.0.2.1'));
});

test('IPv6 addresses compare equal whatever their spelling', () => {
  assert.ok(sameIp('2001:DB8:0:0::1', '2001:db8::1'));
  assert.ok(!sameIp('2001:db8::1', '2001:db8::2'));
  assert.equal(canonicalIp('::1'), '0:0:0:0:0:0:0:1');
});

test('text that is not an IP address has no canonical form and no reverse name', () => {
  assert.equal(canonicalIp('mx.example.com'), null);
  assert.equal(canonicalIp('999.1.1.1'), null);
  assert.ok(!sameIp('x', 'x'));
  assert.throws(() => reverseName('nope'), TypeError);
});
