import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registeredDomain } from '../../../src/dns/registered-domain.js';

test('registered domain is the public suffix plus one label', () => {
  assert.equal(registeredDomain('mail.example.com'), 'example.com');
  assert.equal(registeredDomain('a.b.mail.example.co.uk'), 'example.co.uk');
  assert.equal(registeredDomain('smtp.example.com.au'), 'example.com.au');
});

test('registered domain ignores case and a trailing dot', () => {
  assert.equal(registeredDomain('MX1.Example.COM.'), 'example.com');
});

test('a bare public suffix, a single label or an IP literal has no registered domain', () => {
  assert.equal(registeredDomain('co.uk'), null);
  assert.equal(registeredDomain('localhost'), null);
  assert.equal(registeredDomain('192.0.2.1'), null);
  assert.equal(registeredDomain('[192.0.2.1]'), null);
  assert.equal(registeredDomain(''), null);
});

test('private public suffixes (PSL private section) separate their customers', () => {
  assert.notEqual(registeredDomain('alice.github.io'), registeredDomain('bob.github.io'));
  assert.equal(registeredDomain('www.alice.github.io'), 'alice.github.io');
});
