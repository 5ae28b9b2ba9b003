import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildDeliveredTo,
  buildReceivedHeader,
  buildReturnPath,
  countHeader,
  formatRfc5322Date,
  getHeader,
  getHeaders,
  hasHeaderValue,
  parseHeaderBlock,
  scanHeaderBlock,
  selectHeaderFields,
  unfold,
} from '../../../src/mail/headers.js';

const msg = Buffer.from(
  [
    'Received: from a by b; Mon, 06 Jan 2025 10:00:00 +0000',
    'Delivered-To: User@Example.org',
    'Subject: folded',
    '\tsubject line  ',
    'X-Odd : spaced name',
    'From mbox-style line without colon',
    'Received: from c',
    ' by d; Mon, 06 Jan 2025 10:00:01 +0000',
    '',
    'Received: in the body, not a header',
    'Delivered-To: loop@example.org',
  ].join('\r\n'),
);

test('parses a header block: unfolds, keeps raw bytes, skips garbage lines', () => {
  const fields = parseHeaderBlock(msg);
  assert.deepEqual(
    fields.map((f) => f.name),
    ['Received', 'Delivered-To', 'Subject', 'X-Odd', 'Received'],
  );
  assert.equal(getHeader(fields, 'subject'), 'folded\tsubject line');
  assert.equal(getHeader(fields, 'x-odd'), 'spaced name');
  assert.equal(getHeader(fields, 'missing'), null);
  assert.deepEqual(getHeaders(fields, 'RECEIVED'), ['from a by b; Mon, 06 Jan 2025 10:00:00 +0000', 'from c by d; Mon, 06 Jan 2025 10:00:01 +0000']);
  assert.equal(fields[2]!.raw.toString(), 'Subject: folded\r\n\tsubject line  \r\n');
});

test('finds the end of the header block for CRLF and bare LF', () => {
  const crlf = scanHeaderBlock(msg);
  assert.equal(msg.subarray(crlf.bodyStart, crlf.bodyStart + 9).toString(), 'Received:');
  assert.equal(crlf.bodyStart - crlf.headerEnd, 2);
  const lf = Buffer.from('A: 1\nB: 2\n\nbody');
  const s = scanHeaderBlock(lf);
  assert.equal(s.headerEnd, 10);
  assert.equal(s.bodyStart, 11);
  assert.equal(scanHeaderBlock(Buffer.from('\r\nbody')).bodyStart, 2);
});

test('unfold removes line breaks but keeps the whitespace', () => {
  assert.equal(unfold('a\r\n b\n\tc'), 'a b\tc');
});

test('countHeader and hasHeaderValue look only at the top-level header block', () => {
  assert.equal(countHeader(msg, 'received'), 2);
  assert.equal(countHeader(msg, 'Delivered-To'), 1);
  assert.equal(hasHeaderValue(msg, 'Delivered-To', 'user@example.org'), true);
  assert.equal(hasHeaderValue(msg, 'delivered-to', '<USER@example.org>'), true);
  assert.equal(hasHeaderValue(msg, 'Delivered-To', 'loop@example.org'), false);
});

test('formats RFC 5322 dates in UTC', () => {
  assert.equal(formatRfc5322Date(new Date(Date.UTC(2025, 0, 6, 9, 5, 3))), 'Mon, 06 Jan 2025 09:05:03 +0000');
});

test('builds an RFC 5321 §4.4 Received header folded under 78 characters', () => {
  const h = buildReceivedHeader({
    from: 'client.example.org',
    fromIp: '192.0.2.10',
    ptrName: 'mail.client.example.org',
    by: 'mx.example.net',
    with: 'ESMTPS',
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    id: '01JH0ABCDEF',
    for: 'bob@example.net',
    date: new Date(Date.UTC(2025, 0, 6, 10, 0, 0)),
  });
  assert.equal(
    h,
    'Received: from client.example.org (mail.client.example.org [192.0.2.10])\r\n' +
      '\tby mx.example.net with ESMTPS (TLSv1.3 cipher TLS_AES_256_GCM_SHA384)\r\n' +
      '\tid 01JH0ABCDEF for <bob@example.net>; Mon, 06 Jan 2025 10:00:00 +0000\r\n',
  );
  for (const line of h.split('\r\n')) assert.ok(line.length < 78, line);
  // It parses back as one field.
  const fields = parseHeaderBlock(Buffer.from(`${h}\r\n`));
  assert.equal(fields.length, 1);
  assert.match(fields[0]!.value, /^from client\.example\.org .*; Mon, 06 Jan 2025 10:00:00 \+0000$/);
});

test('Received header: IPv6 literal, no PTR, hostile HELO sanitised', () => {
  const h = buildReceivedHeader({
    from: 'evil\r\nX-Injected: yes (',
    fromIp: '2001:db8::25',
    by: 'mx.example.net',
    with: 'LMTP',
    id: 'Q1',
    date: new Date(0),
  });
  assert.ok(h.includes('([IPv6:2001:db8::25])'), h);
  assert.ok(!/\r\n(?![\t ])/.test(h.slice(0, -2)), 'no unfolded line break inside');
  assert.ok(!h.includes('X-Injected: yes ('));
  assert.ok(h.endsWith('; Thu, 01 Jan 1970 00:00:00 +0000\r\n'));
  const v4mapped = buildReceivedHeader({ from: 'h', fromIp: '::ffff:192.0.2.1', by: 'b', with: 'ESMTP', id: 'x', date: new Date(0) });
  assert.ok(v4mapped.includes('([192.0.2.1])'), v4mapped);
});

test('Return-Path and Delivered-To builders', () => {
  assert.equal(buildReturnPath('alice@example.org'), 'Return-Path: <alice@example.org>\r\n');
  assert.equal(buildReturnPath(''), 'Return-Path: <>\r\n');
  assert.equal(buildDeliveredTo('bob@example.net'), 'Delivered-To: bob@example.net\r\n');
});

test('selects header fields for HEADER.FIELDS and HEADER.FIELDS.NOT', () => {
  const end = scanHeaderBlock(msg).bodyStart;
  assert.equal(
    selectHeaderFields(msg, 0, end, ['SUBJECT', 'x-odd']).toString(),
    'Subject: folded\r\n\tsubject line  \r\nX-Odd : spaced name\r\n\r\n',
  );
  const not = selectHeaderFields(msg, 0, end, ['received', 'subject', 'x-odd'], true).toString();
  assert.equal(not, 'Delivered-To: User@Example.org\r\n\r\n');
  assert.equal(selectHeaderFields(Buffer.from('A: 1'), 0, 4, ['a']).toString(), 'A: 1\r\n\r\n');
});
