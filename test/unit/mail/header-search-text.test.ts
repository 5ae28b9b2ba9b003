/**
 * headerSearchText / addressSearchTexts / extractSearchText: the per-body texts SEARCH SUBJECT, FROM, TO, CC and BCC
 * scan are the lower-cased decoded values of every top-level field of that name, joined by "\n"; null without such
 * a field; undefined (no row) when the header starts with a continuation line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { addressSearchTexts, extractSearchText, headerSearchText, subjectSearchText } from '../../../src/mail/search-text.js';

describe('header search texts', () => {
  it('decodes encoded words, lower-cases, and joins every field of the name case-insensitively', () => {
    const h = Buffer.from('From: =?utf-8?q?J=C3=BCrgen?= <JM@Example.TEST>\r\nTO: A@x\r\nto : B@x\r\nX-To: no\r\n');
    assert.equal(headerSearchText(h, 'From'), 'jürgen <jm@example.test>');
    assert.equal(headerSearchText(h, 'to'), 'a@x\nb@x');
    assert.equal(headerSearchText(h, 'cc'), null);
    assert.deepEqual(addressSearchTexts(h), { from: 'jürgen <jm@example.test>', to: 'a@x\nb@x', cc: null, bcc: null });
  });

  it('has no text when the header starts with a continuation line', () => {
    const h = Buffer.from(' folded\r\nFrom: a@x\r\n');
    assert.equal(headerSearchText(h, 'from'), undefined);
    assert.equal(addressSearchTexts(h), undefined);
    assert.equal(subjectSearchText(h), undefined);
  });

  it('extractSearchText returns the subject and address texts of the top-level header only', () => {
    const raw = Buffer.from(
      'From: Alice <alice@example.test>\r\nCc: =?utf-8?q?=C3=85sa?= <asa@x>\r\nSubject: Hi\r\nContent-Type: message/rfc822\r\n\r\n' +
        'From: inner@x\r\nTo: inner@x\r\n\r\ninner body\r\n',
    );
    const t = extractSearchText(raw, parseMessage(raw));
    assert.equal(t.subject, 'hi');
    assert.deepEqual(t.addresses, { from: 'alice <alice@example.test>', to: null, cc: 'åsa <asa@x>', bcc: null });
    const cont = Buffer.from(' x\r\nFrom: a@x\r\n\r\nbody\r\n');
    const c = extractSearchText(cont, parseMessage(cont));
    assert.equal('addresses' in c, false);
    assert.equal('subject' in c, false);
  });
});
