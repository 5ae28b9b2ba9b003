import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFromHeader, fromAddresses, ownedAddressSet, ownsAddress, senderNotOwned } from '../../../../../src/protocols/smtp/server/sender-check.js';

const owned = ownedAddressSet(['ivanov@example.org', 'Info@Example.ORG', 'ivan@bücher.example']);
const h = (s: string): Buffer => Buffer.from(`${s}\r\n\r\nbody\r\n`, 'utf8');

describe('ownsAddress', () => {
  it('matches case-insensitively and by A-label domain', () => {
    assert.equal(ownsAddress('IVANOV@example.org', owned, '+'), true);
    assert.equal(ownsAddress('info@example.org', owned, '+'), true);
    assert.equal(ownsAddress('ivan@xn--bcher-kva.example', owned, '+'), true);
  });
  it('accepts a +tag of an owned address only when plus-addressing is on', () => {
    assert.equal(ownsAddress('ivanov+news@example.org', owned, '+'), true);
    assert.equal(ownsAddress('ivanov+news@example.org', owned, ''), false);
  });
  it('refuses other addresses and garbage', () => {
    assert.equal(ownsAddress('petrov@example.org', owned, '+'), false);
    assert.equal(ownsAddress('ivanov@example.org.evil', owned, '+'), false);
    assert.equal(ownsAddress('not an address', owned, '+'), false);
  });
  it('builds a 553 5.7.1 permanent error', () => {
    const e = senderNotOwned('petrov@example.org', 'ivanov@example.org');
    assert.equal(e.code, 553);
    assert.equal(e.enhanced, '5.7.1');
    assert.equal(e.temporary, false);
  });
});

describe('checkFromHeader', () => {
  it('accepts display names, comments and folded fields of owned addresses', () => {
    assert.deepEqual(checkFromHeader(h('From: "Ivanov, I." <ivanov@example.org>'), owned, '+'), { kind: 'ok', addresses: ['ivanov@example.org'] });
    assert.equal(checkFromHeader(h('From: ivanov@example.org (Ivan)'), owned, '+').kind, 'ok');
    assert.equal(checkFromHeader(h('From: Ivan\r\n <info@example.org>'), owned, '+').kind, 'ok');
  });
  it('names the first mailbox the user does not own, in any From field', () => {
    assert.deepEqual(checkFromHeader(h('From: ivanov@example.org, Kozlov <kozlov@example.com>'), owned, '+'), { kind: 'not-owned', address: 'kozlov@example.com' });
    assert.deepEqual(checkFromHeader(h('From: ivanov@example.org\r\nFrom: petrov@example.org'), owned, '+'), { kind: 'not-owned', address: 'petrov@example.org' });
  });
  it('tells a missing From from one without an address', () => {
    assert.deepEqual(checkFromHeader(h('Subject: x'), owned, '+'), { kind: 'missing' });
    assert.deepEqual(checkFromHeader(h('From: undisclosed:;'), owned, '+'), { kind: 'unparsable' });
    assert.equal(fromAddresses(h('To: a@b.example')), null);
  });
});
