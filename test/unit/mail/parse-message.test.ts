import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMessage, MAX_DEPTH, MAX_PARTS } from '../../../src/mail/parse-message.js';
import { STRUCTURE_VERSION, type MimePart } from '../../../src/mail/structure.js';

const FIXTURES = new URL('../../fixtures/mime/', import.meta.url);
function fixture(name: string, crlf = true): Buffer {
  const text = readFileSync(new URL(name, FIXTURES), 'latin1').replace(/\r\n/g, '\n');
  return Buffer.from(crlf ? text.replace(/\n/g, '\r\n') : text, 'latin1');
}
const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');
const slice = (raw: Buffer, a: number, b: number): string => raw.subarray(a, b).toString('latin1');
const body = (raw: Buffer, p: MimePart): string => slice(raw, p.bodyStart, p.bodyEnd);
const head = (raw: Buffer, p: MimePart): string => slice(raw, p.headerStart, p.bodyStart);

/** Every part's offsets are ordered, inside its parent, and size matches them. */
function checkOffsets(p: MimePart, start: number, end: number): void {
  assert.ok(start <= p.headerStart && p.headerStart <= p.bodyStart && p.bodyStart <= p.bodyEnd && p.bodyEnd <= end);
  assert.equal(p.size, p.bodyEnd - p.bodyStart);
  for (const c of p.parts ?? []) checkOffsets(c, p.bodyStart, p.bodyEnd);
  if (p.message) {
    assert.equal(p.message.root.headerStart, p.bodyStart);
    checkOffsets(p.message.root, p.bodyStart, p.bodyEnd);
  }
}

// An equivalent of the message in RFC 3501 §8 (FETCH 12 FULL): a 3028-octet, 92-line text/plain body.
function rfc3501Sample(): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < 92; i++) lines.push((i < 84 ? 'x'.repeat(31) : 'y'.repeat(30)).replace(/^./, String(i % 10)));
  const text = lines.map((l) => `${l}\r\n`).join('');
  return Buffer.from(
    [
      'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
      'From: Terry Gray <gray@cac.washington.edu>',
      'Subject: IMAP4rev1 WG mtg summary and minutes',
      'To: imap@cac.washington.edu',
      'cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>',
      'Message-Id: <B27397-0100000@cac.washington.edu>',
      'MIME-Version: 1.0',
      'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
      '',
      '',
    ].join('\r\n') + text,
  );
}

test('RFC 3501 §8 sample gives the ENVELOPE and BODY of the RFC', () => {
  const raw = rfc3501Sample();
  const s = parseMessage(raw);
  assert.equal(s.version, STRUCTURE_VERSION);
  const terry = [{ name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' }];
  assert.deepEqual(s.envelope, {
    date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
    subject: 'IMAP4rev1 WG mtg summary and minutes',
    from: terry,
    sender: terry,
    replyTo: terry,
    to: [{ name: null, adl: null, mailbox: 'imap', host: 'cac.washington.edu' }],
    cc: [
      { name: null, adl: null, mailbox: 'minutes', host: 'CNRI.Reston.VA.US' },
      { name: 'John Klensin', adl: null, mailbox: 'KLENSIN', host: 'MIT.EDU' },
    ],
    bcc: null,
    inReplyTo: null,
    messageId: '<B27397-0100000@cac.washington.edu>',
  });
  // ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92)
  assert.equal(s.root.type, 'text');
  assert.equal(s.root.subtype, 'plain');
  assert.deepEqual(s.root.params, { charset: 'US-ASCII' });
  assert.equal(s.root.encoding, '7BIT');
  assert.equal(s.root.size, 3028);
  assert.equal(s.root.lines, 92);
  assert.equal(s.headerEnd, s.root.bodyStart);
  assert.ok(slice(raw, 0, s.headerEnd).endsWith('US-ASCII\r\n\r\n'));
});

test('nested multipart with message/rfc822 has exact offsets and fields', () => {
  const raw = fixture('nested.eml');
  const s = parseMessage(raw);
  checkOffsets(s.root, 0, raw.length);
  assert.equal(s.envelope.subject, '=?ISO-8859-1?Q?Gr=FC=DFe?= with nested parts');
  assert.equal(s.envelope.from?.[0]?.name, '=?UTF-8?Q?Alice_M=C3=BCller?=');
  const [alt, fwd, att] = s.root.parts!;
  assert.equal(s.root.parts!.length, 3);
  assert.equal(`${alt!.type}/${alt!.subtype}`, 'multipart/alternative');
  const [plain, html] = alt!.parts!;
  assert.equal(head(raw, plain!), 'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
  assert.equal(body(raw, plain!), 'Gr=FC=DFe aus M=FCnchen, a soft=\r\n break.');
  assert.equal(plain!.encoding, 'QUOTED-PRINTABLE');
  assert.equal(plain!.lines, 2);
  assert.equal(html!.subtype, 'html');
  assert.equal(html!.encoding, 'BASE64');
  assert.equal(body(raw, html!), 'PGh0bWw+PGJvZHk+PHA+SGVsbG8gJmFtcDsgPGI+d29ybGQ8L2I+PC9wPjwvYm9keT48L2h0bWw+');

  assert.equal(`${fwd!.type}/${fwd!.subtype}`, 'message/rfc822');
  assert.equal(fwd!.description, 'forwarded message');
  assert.deepEqual(fwd!.disposition, { type: 'inline', params: {} });
  const inner = fwd!.message!;
  assert.equal(inner.envelope.subject, 'the inner one');
  assert.deepEqual(inner.envelope.from, [{ name: 'Carol', adl: null, mailbox: 'carol', host: 'example.com' }]);
  assert.equal(inner.envelope.messageId, '<inner-1@example.com>');
  assert.ok(body(raw, fwd!).startsWith('From: Carol') && body(raw, fwd!).endsWith('--deep--\r\n'));
  assert.equal(fwd!.lines, body(raw, fwd!).split('\r\n').length - 1);
  const [innerText, pdf] = inner.root.parts!;
  assert.equal(body(raw, innerText!), 'inner text line 1\r\ninner text line 2');
  assert.deepEqual(innerText!.params, { charset: 'us-ascii' }, 'no charset given: RFC 2045 default');
  assert.equal(body(raw, pdf!), 'JVBERi0xLjQK');
  assert.deepEqual(pdf!.params, { name: 'doc.pdf' });

  assert.equal(`${att!.type}/${att!.subtype}`, 'application/octet-stream');
  assert.deepEqual(att!.params, { name: '日本-report.txt' });
  assert.deepEqual(att!.disposition, { type: 'attachment', params: { filename: '日本-report.txt', size: '5' } });
  assert.equal(att!.id, '<att-1@example.org>');
  assert.deepEqual(att!.language, ['en', 'de']);
  assert.equal(att!.location, 'http://example.org/report.txt');
  assert.equal(att!.md5, 'Q2hlY2sgSW50ZWdyaXR5IQ==');
  assert.equal(body(raw, att!), 'aGVsbG8=');
  assert.equal(att!.lines, 0, 'lines only for text/* and message/*');
});

test('bare LF line endings give offsets exact for the stored bytes', () => {
  const raw = fixture('nested.eml', false);
  const s = parseMessage(raw);
  checkOffsets(s.root, 0, raw.length);
  const plain = s.root.parts![0]!.parts![0]!;
  assert.equal(body(raw, plain), 'Gr=FC=DFe aus M=FCnchen, a soft=\n break.');
  assert.equal(plain.lines, 2);
  assert.equal(s.root.parts![2]!.params['name'], '日本-report.txt');
});

test('multipart/digest parts default to message/rfc822', () => {
  const raw = fixture('digest.eml');
  const s = parseMessage(raw);
  const [first, second] = s.root.parts!;
  assert.equal(`${first!.type}/${first!.subtype}`, 'message/rfc822');
  assert.equal(first!.headerStart, first!.bodyStart - 2, 'empty header block');
  assert.equal(first!.message!.envelope.subject, 'first');
  assert.equal(body(raw, first!.message!.root), 'First message body.');
  assert.equal(`${second!.type}/${second!.subtype}`, 'text/plain');
});

test('missing closing boundary: the last part runs to the end of the parent', () => {
  const raw = fixture('missing-close.eml');
  const s = parseMessage(raw);
  assert.equal(s.root.parts!.length, 2);
  assert.equal(body(raw, s.root.parts![0]!), 'part one');
  const last = s.root.parts![1]!;
  assert.equal(last.bodyEnd, raw.length);
  assert.equal(body(raw, last), 'part two runs to the end\r\nand has no closing delimiter\r\n');
  assert.equal(last.lines, 2);
});

test('a message with no empty line is all header and an empty body', () => {
  const raw = fixture('headers-only.eml');
  const s = parseMessage(raw);
  assert.equal(s.headerEnd, raw.length);
  assert.equal(s.root.size, 0);
  assert.equal(s.root.lines, 0);
  assert.equal(s.envelope.subject, 'only headers, no empty line');
  const noNewline = parseMessage(Buffer.from('Subject: x'));
  assert.equal(noNewline.envelope.subject, 'x');
  assert.equal(noNewline.root.bodyStart, 10);
});

test('a part whose header has no empty line ends before the next delimiter', () => {
  const raw = crlf(['Content-Type: multipart/mixed; boundary=z', '', '--z', 'Content-Type: text/html', '--z', '', 'b', '--z--', '']);
  const s = parseMessage(raw);
  const [a, b] = s.root.parts!;
  assert.equal(head(raw, a!), 'Content-Type: text/html');
  assert.equal(a!.size, 0);
  assert.equal(a!.subtype, 'html');
  assert.equal(body(raw, b!), 'b');
});

test('a boundary that is a prefix of another is not confused with it', () => {
  const raw = crlf([
    'Content-Type: multipart/mixed; boundary=ab',
    '',
    '--ab',
    'Content-Type: multipart/alternative; boundary=abc',
    '',
    '--abc',
    '',
    'one',
    '--abc--',
    '--ab--',
  ]);
  const s = parseMessage(raw);
  assert.equal(s.root.parts!.length, 1);
  const alt = s.root.parts![0]!;
  assert.equal(alt.parts!.length, 1);
  assert.equal(body(raw, alt.parts![0]!), 'one');
  assert.ok(body(raw, alt).endsWith('--abc--'));
});

test('transport padding after a delimiter is accepted', () => {
  const raw = crlf(['Content-Type: multipart/mixed; boundary=q', '', '--q  ', '', 'x', '--q-- \t', '']);
  assert.equal(body(raw, parseMessage(raw).root.parts![0]!), 'x');
});

test('multipart without boundary and base64 message/rfc822 become opaque leaves', () => {
  const s1 = parseMessage(crlf(['Content-Type: multipart/mixed', '', 'x']));
  assert.equal(`${s1.root.type}/${s1.root.subtype}`, 'application/octet-stream');
  assert.equal(s1.root.parts, undefined);
  const s2 = parseMessage(crlf(['Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', '', 'U3ViamVjdDogeA==']));
  assert.equal(s2.root.type, 'application');
  assert.equal(s2.root.message, undefined);
});

test('message/global is encapsulated like message/rfc822', () => {
  const raw = crlf(['Content-Type: message/global', '', 'Subject: =?utf-8?q?x?= ünï', '', 'hi']);
  const s = parseMessage(raw);
  assert.equal(s.root.message?.envelope.subject, '=?utf-8?q?x?= ünï');
  assert.equal(s.root.lines, 3);
});

test('invalid Content-Type falls back to text/plain; 8-bit garbage in headers survives', () => {
  const raw = Buffer.concat([
    Buffer.from('Content-Type: garbage\r\nSubject: caf'),
    Buffer.from([0xe9, 0xff, 0x00]),
    Buffer.from('\r\nX: \x01\r\nno colon line\r\n  continuation of garbage\r\n\r\nbody'),
  ]);
  const s = parseMessage(raw);
  assert.equal(`${s.root.type}/${s.root.subtype}`, 'text/plain');
  assert.deepEqual(s.root.params, { charset: 'us-ascii' });
  assert.equal(s.envelope.subject, 'caf\u00e9\u00ff\u0000');
  assert.equal(body(raw, s.root), 'body');
});

test('UTF-8 header values (RFC 6532) decode as UTF-8', () => {
  const s = parseMessage(Buffer.from('Subject: Grüße\r\nFrom: Jörg <jörg@bücher.example>\r\n\r\n'));
  assert.equal(s.envelope.subject, 'Grüße');
  assert.deepEqual(s.envelope.from, [{ name: 'Jörg', adl: null, mailbox: 'jörg', host: 'bücher.example' }]);
});

test('nesting deeper than MAX_DEPTH is cut off as a leaf', () => {
  let msg = 'Content-Type: text/plain\r\n\r\nbottom';
  for (let i = 0; i < MAX_DEPTH + 20; i++) msg = `Content-Type: message/rfc822\r\n\r\n${msg}`;
  const s = parseMessage(Buffer.from(msg));
  let depth = 0;
  let p: MimePart = s.root;
  while (p.message) {
    p = p.message.root;
    depth++;
  }
  assert.equal(depth, MAX_DEPTH);
  assert.equal(p.type, 'application');
});

test('more parts than MAX_PARTS are not all recorded', () => {
  const parts: string[] = ['Content-Type: multipart/mixed; boundary=p', ''];
  for (let i = 0; i < MAX_PARTS + 50; i++) parts.push('--p', '', String(i));
  parts.push('--p--', '');
  const start = performance.now();
  const s = parseMessage(crlf(parts));
  assert.ok(performance.now() - start < 2000);
  assert.equal(s.root.parts!.length, MAX_PARTS - 1);
});

test('a ~5 KB message parses in well under a millisecond', () => {
  const raw = fixture('nested.eml');
  const big = Buffer.concat([raw.subarray(0, raw.length - 20), Buffer.from('x'.repeat(3000))]);
  for (let i = 0; i < 50; i++) parseMessage(big); // warm up
  const n = 500;
  const start = performance.now();
  for (let i = 0; i < n; i++) parseMessage(big);
  const per = (performance.now() - start) / n;
  assert.ok(per < 1, `took ${per} ms per message`);
});

test('a 20 MB message parses without copying it', () => {
  const line = `${'a'.repeat(76)}\r\n`;
  const payload = line.repeat(Math.ceil((20 * 1024 * 1024) / line.length));
  const raw = Buffer.from(
    `Content-Type: multipart/mixed; boundary=big\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n${payload}--big\r\n` +
      `Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\n${payload}--big--\r\n`,
  );
  const before = process.memoryUsage().heapUsed;
  const start = performance.now();
  const s = parseMessage(raw);
  const ms = performance.now() - start;
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(ms < 1500, `took ${ms} ms`);
  assert.ok(grown < 16 * 1024 * 1024, `heap grew by ${grown}`);
  assert.equal(s.root.parts![0]!.lines, payload.length / line.length);
  assert.equal(s.root.parts![1]!.message!.root.lines, payload.length / line.length);
});

test('never throws on random bytes, truncations and mutations', () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const base = fixture('nested.eml');
  const alphabet = Buffer.from('\r\n-:;= "\t<>@,()abcontent-typemultipart/boundary=outerinner\x00\xff');
  for (let i = 0; i < 400; i++) {
    let raw: Buffer;
    if (i % 3 === 0) {
      raw = base.subarray(0, rnd(base.length + 1));
    } else if (i % 3 === 1) {
      raw = Buffer.from(base);
      for (let k = 0; k < 10; k++) raw[rnd(raw.length)] = alphabet[rnd(alphabet.length)]!;
    } else {
      raw = Buffer.alloc(rnd(600));
      for (let k = 0; k < raw.length; k++) raw[k] = rnd(4) === 0 ? rnd(256) : alphabet[rnd(alphabet.length)]!;
    }
    const s = parseMessage(raw);
    checkOffsets(s.root, 0, raw.length);
    JSON.stringify(s);
  }
});

test('the structure carries the canonical CRLF size POP3 reports (bare LF, lone CR, unterminated last line)', async () => {
  const { crlfSize } = await import('../../../src/mail/crlf-size.js');
  for (const text of ['Subject: a\r\n\r\nbody\r\n', 'Subject: b\n\nbare\nlines\n', 'Subject: c\r\n\r\nno final newline', 'Subject: d\r\n\r\ncr at end\r', '']) {
    const raw = Buffer.from(text, 'latin1');
    const expected = Buffer.byteLength(text.replace(/\r?\n/g, '\r\n').replace(/\r$/, '\r\n').replace(/([^\n])$/, '$1\r\n'), 'latin1');
    assert.equal(parseMessage(raw).crlfSize, crlfSize(raw), JSON.stringify(text));
    assert.equal(crlfSize(raw), text === '' ? 0 : expected, JSON.stringify(text));
  }
});
