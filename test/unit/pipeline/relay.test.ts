import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkList, isTrustedNetwork, relayDecision } from '../../../src/pipeline/relay.js';

test('matches IPv4 addresses against IPv4 blocks and bare hosts', () => {
  const nets = ['127.0.0.0/8', '192.0.2.0/24', '198.51.100.7'];
  assert.equal(isTrustedNetwork('127.0.0.1', nets), true);
  assert.equal(isTrustedNetwork('192.0.2.255', nets), true);
  assert.equal(isTrustedNetwork('192.0.3.1', nets), false);
  assert.equal(isTrustedNetwork('198.51.100.7', nets), true);
  assert.equal(isTrustedNetwork('198.51.100.8', nets), false);
});

test('matches IPv6 addresses in any spelling', () => {
  const nets = ['2001:db8::/32', '::1/128'];
  assert.equal(isTrustedNetwork('2001:db8:ffff::1', nets), true);
  assert.equal(isTrustedNetwork('2001:0DB8:0:0::1', nets), true);
  assert.equal(isTrustedNetwork('2001:db9::1', nets), false);
  assert.equal(isTrustedNetwork('::1', nets), true);
  assert.equal(isTrustedNetwork('::2', nets), false);
});

test('treats an IPv4-mapped IPv6 client as its IPv4 address', () => {
  assert.equal(isTrustedNetwork('::ffff:127.0.0.1', ['127.0.0.0/8']), true);
  assert.equal(isTrustedNetwork('::FFFF:7f00:1', ['127.0.0.0/8']), true);
  assert.equal(isTrustedNetwork('::ffff:10.0.0.1', ['127.0.0.0/8']), false);
  assert.equal(isTrustedNetwork('10.1.2.3', ['::ffff:10.0.0.0/104']), true);
});

test('does not match an IPv4 block for an unrelated IPv6 address', () => {
  assert.equal(isTrustedNetwork('::7f00:1', ['127.0.0.0/8']), false);
  assert.equal(isTrustedNetwork('not an ip', ['0.0.0.0/0']), false);
});

test('a 0-length prefix matches the whole family', () => {
  const list = new NetworkList(['0.0.0.0/0']);
  assert.equal(list.has('203.0.113.9'), true);
  assert.equal(list.has('2001:db8::1'), false);
});

test('rejects invalid CIDR strings', () => {
  assert.throws(() => new NetworkList(['192.0.2.0/33']), TypeError);
  assert.throws(() => new NetworkList(['192.0.2.0/x']), TypeError);
  assert.throws(() => new NetworkList(['example.com']), TypeError);
});

test('allows mail to a served domain from anyone', () => {
  assert.deepEqual(relayDecision({ recipientDomainIsLocal: true, authenticated: false, trusted: false }), {
    allowed: true,
    reason: 'local-domain',
  });
});

test('allows relaying for authenticated, trusted and pop-before-smtp clients', () => {
  const base = { recipientDomainIsLocal: false, authenticated: false, trusted: false };
  assert.equal(relayDecision({ ...base, authenticated: true }).allowed, true);
  assert.equal(relayDecision({ ...base, trusted: true }).allowed, true);
  assert.equal(relayDecision({ ...base, popBeforeSmtp: true }).allowed, true);
});

test('denies relaying to strangers with 554 5.7.1', () => {
  const d = relayDecision({ recipientDomainIsLocal: false, authenticated: false, trusted: false });
  assert.equal(d.allowed, false);
  if (d.allowed) return;
  assert.equal(d.error.code, 554);
  assert.equal(d.error.enhanced, '5.7.1');
  assert.equal(d.error.temporary, false);
});
