import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { decodeQuotedPrintable, extractSearchText, htmlToText, MAX_SEARCH_TEXT } from '../../../src/mail/search-text.js';

const nested = Buffer.from(
  readFileSync(new URL('../../fixtures/mime/nested.eml', import.meta.url), 'latin1').replace(/\r?\n/g, '\r\n'),
  'latin1',
);

test('header text has encoded-words decoded', () => {
  const { headers } = extractSearchText(nested, parseMessage(nested));
  assert.match(headers, /^Subject: Grüße with nested parts$/m);
  assert.match(headers, /^From: Alice Müller <alice@example\.org>$/m);
});

test('the SEARCH SUBJECT text comes with the search text: top-level subjects only, decoded and lower-cased', () => {
  assert.equal(extractSearchText(nested, parseMessage(nested)).subject, 'grüße with nested parts', 'not the inner message\'s');
  const none = Buffer.from('From: a@example.org\r\n\r\nbody\r\n');
  assert.equal(extractSearchText(none, parseMessage(none)).subject, null);
  const folded = Buffer.from(' continued\r\nSubject: x\r\n\r\nbody\r\n');
  assert.equal('subject' in extractSearchText(folded, parseMessage(folded)), false, 'a leading continuation line: no row');
});

test('body text decodes quoted-printable, base64, charsets, HTML and nested messages', () => {
  const { body } = extractSearchText(nested, parseMessage(nested));
  assert.ok(body.includes('Grüße aus München, a soft break.'), body);
  assert.ok(body.includes('Hello & world'), body);
  assert.ok(!body.includes('<b>'));
  assert.ok(body.includes('Subject: the inner one'), 'encapsulated headers count as body');
  assert.ok(body.includes('inner text line 2'));
  assert.ok(!body.includes('hello'), 'the application/octet-stream attachment is not text');
  assert.ok(!body.includes('JVBER'));
});

test('converts legacy charsets to UTF-8', () => {
  const raw = Buffer.concat([
    Buffer.from('Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
    Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]),
  ]);
  assert.equal(extractSearchText(raw, parseMessage(raw)).body, 'Привет');
  const jp = Buffer.concat([
    Buffer.from('Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n'),
    Buffer.from([0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42]),
  ]);
  assert.equal(extractSearchText(jp, parseMessage(jp)).body, '日本');
  const unlabeled = Buffer.from('Subject: x\r\n\r\nnaïve UTF-8 without a charset');
  assert.equal(extractSearchText(unlabeled, parseMessage(unlabeled)).body, 'naïve UTF-8 without a charset');
});

test('quoted-printable: soft breaks, bad escapes kept, LF line ends', () => {
  assert.equal(decodeQuotedPrintable(Buffer.from('a=3Db=\r\nc= \nd=ZZ=4')).toString('latin1'), 'a=bcd=ZZ=4');
});

test('htmlToText strips scripts, styles, tags and decodes entities', () => {
  const t = htmlToText('<style>p{}</style><script>x()</script><p>A&nbsp;&lt;b&gt; &#233;&#x41;</p><!-- c -->');
  assert.equal(t.trim(), 'A <b> éA');
});

test('output is capped', () => {
  const raw = Buffer.from(`Subject: big\r\n\r\n${'word '.repeat(400_000)}`);
  const { body } = extractSearchText(raw, parseMessage(raw));
  assert.equal(body.length, MAX_SEARCH_TEXT);
});
