import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownedAddressSet } from '../../../../../src/protocols/smtp/server/sender-check.js';
import { newMessageId, prepareSubmission, type SubmissionFacts } from '../../../../../src/protocols/smtp/server/submission-headers.js';

const facts: SubmissionFacts = {
  sender: 'ivanov@example.org',
  login: 'ivanov@example.org',
  owned: ownedAddressSet(['ivanov@example.org']),
  plusSeparator: '+',
  hostname: 'mx.example.org',
  now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
};

describe('prepareSubmission', () => {
  it('adds Date and Message-ID when missing, leaving the message after them as it was', () => {
    const data = Buffer.from('From: ivanov@example.org\r\nSubject: x\r\n\r\nbody\r\n');
    const r = prepareSubmission(data, facts);
    assert.ok(r.ok);
    const text = r.data.toString();
    assert.match(text, /^Date: Fri, 02 Jan 2026 03:04:05 \+0000\r\nMessage-ID: <[a-z0-9]+\.[a-z0-9]+@mx\.example\.org>\r\nFrom: ivanov@example\.org\r\n/);
    assert.ok(text.endsWith(data.toString()));
    assert.equal(r.fromDomain, 'example.org');
  });

  it('keeps existing Date and Message-ID (any case) and returns the same bytes', () => {
    const data = Buffer.from('from: ivanov@example.org\r\nDATE: Mon, 02 Jan 2006 15:04:05 +0000\r\nmessage-id: <a@b>\r\n\r\nbody\r\n');
    const r = prepareSubmission(data, facts);
    assert.ok(r.ok);
    assert.equal(r.data, data);
    assert.deepEqual(r.added, []);
  });

  it('adds From from the envelope sender when the message has none, and refuses it with the null sender', () => {
    const data = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    const r = prepareSubmission(data, facts);
    assert.ok(r.ok);
    assert.match(r.data.toString(), /^From: <ivanov@example\.org>\r\n/);
    const n = prepareSubmission(data, { ...facts, sender: '' });
    assert.ok(!n.ok);
    assert.equal(n.error.code, 550);
  });

  it('refuses a From: address the user does not own with 553 5.7.1', () => {
    const r = prepareSubmission(Buffer.from('From: Kozlov <kozlov@example.com>\r\n\r\nx\r\n'), facts);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 553);
    assert.equal(r.error.enhanced, '5.7.1');
  });

  it('makes distinct message ids on our host name', () => {
    const a = newMessageId('mx.example.org');
    assert.notEqual(a, newMessageId('mx.example.org'));
    assert.match(a, /^<[a-z0-9.]+@mx\.example\.org>$/);
  });
});
