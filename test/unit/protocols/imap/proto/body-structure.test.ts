import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope, MimePart } from '../../../../../src/mail/structure.js';
import { bodyStructureValue, envelopeValue } from '../../../../../src/protocols/imap/proto/body-structure.js';
import { atom, encodeValue, fetchResponse, flagList, raw } from '../../../../../src/protocols/imap/proto/encode.js';
import { formatInternalDate } from '../../../../../src/protocols/imap/proto/dates.js';

function part(p: Partial<MimePart>): MimePart {
  return {
    headerStart: 0, bodyStart: 0, bodyEnd: 0, type: 'text', subtype: 'plain', params: {}, id: null, description: null,
    encoding: '7BIT', md5: null, disposition: null, language: null, location: null, size: 0, lines: 0, ...p,
  };
}

const gray = { name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' };

// RFC 3501 §8, message 12 of the sample session.
const sampleEnvelope: Envelope = {
  date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
  subject: 'IMAP4rev1 WG mtg summary and minutes',
  from: [gray],
  sender: null,
  replyTo: null,
  to: [{ name: null, adl: null, mailbox: 'imap', host: 'cac.washington.edu' }],
  cc: [
    { name: null, adl: null, mailbox: 'minutes', host: 'CNRI.Reston.VA.US' },
    { name: 'John Klensin', adl: null, mailbox: 'KLENSIN', host: 'MIT.EDU' },
  ],
  bcc: null,
  inReplyTo: null,
  messageId: '<B27397-0100000@cac.washington.edu>',
};
const sampleRoot = part({ params: { charset: 'US-ASCII' }, size: 3028, lines: 92 });

test('reproduces the FETCH FULL response of the RFC 3501 §8 sample session', () => {
  const out = fetchResponse(12, [
    ['FLAGS', flagList(['\\Seen'])],
    ['INTERNALDATE', raw(formatInternalDate(Date.UTC(1996, 6, 17, 9, 44, 25), -420))],
    ['RFC822.SIZE', 4286],
    ['ENVELOPE', envelopeValue(sampleEnvelope)],
    ['BODY', bodyStructureValue(sampleRoot, false)],
  ]).toString();
  assert.equal(
    out,
    '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ' +
      '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" ' +
      '(("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ' +
      '(("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ' +
      '((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL ' +
      '"<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n',
  );
});

test('BODYSTRUCTURE of a single part adds md5, disposition, language and location', () => {
  assert.equal(
    encodeValue(bodyStructureValue(sampleRoot, true)).toString(),
    '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92 NIL NIL NIL NIL)',
  );
  const att = part({
    type: 'application', subtype: 'pdf', params: { name: 'a.pdf' }, encoding: 'BASE64', size: 100, md5: 'Q2hlY2sgSW50ZWdyaXR5IQ==',
    disposition: { type: 'attachment', params: { filename: 'a.pdf' } }, language: ['en', 'de'], location: 'http://x/a.pdf',
  });
  assert.equal(
    encodeValue(bodyStructureValue(att, true)).toString(),
    '("APPLICATION" "PDF" ("NAME" "a.pdf") NIL NIL "BASE64" 100 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("ATTACHMENT" ("FILENAME" "a.pdf")) ("en" "de") "http://x/a.pdf")',
  );
  assert.equal(encodeValue(bodyStructureValue(att, false)).toString(), '("APPLICATION" "PDF" ("NAME" "a.pdf") NIL NIL "BASE64" 100)');
});

test('multipart bodies are concatenated without spaces, with extension data only in BODYSTRUCTURE', () => {
  const mp = part({
    type: 'multipart', subtype: 'mixed', params: { boundary: 'xyz' },
    parts: [part({ size: 10, lines: 1 }), part({ subtype: 'html', params: { charset: 'utf-8' }, encoding: 'QUOTED-PRINTABLE', size: 20, lines: 2 })],
  });
  assert.equal(
    encodeValue(bodyStructureValue(mp, false)).toString(),
    '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 20 2) "MIXED")',
  );
  assert.equal(
    encodeValue(bodyStructureValue(mp, true)).toString(),
    '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1 NIL NIL NIL NIL)("TEXT" "HTML" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 20 2 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "xyz") NIL NIL NIL)',
  );
});

test('message/rfc822 parts carry envelope, body and lines', () => {
  const inner = part({ size: 5, lines: 1 });
  const msg = part({
    type: 'message', subtype: 'rfc822', size: 200, lines: 8,
    message: { envelope: { ...sampleEnvelope, from: null, cc: null, to: null, subject: 'Fwd' }, root: inner },
  });
  assert.equal(
    encodeValue(bodyStructureValue(msg, false)).toString(),
    '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 200 ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "Fwd" NIL NIL NIL NIL NIL NIL NIL ' +
      '"<B27397-0100000@cac.washington.edu>") ("TEXT" "PLAIN" NIL NIL NIL "7BIT" 5 1) 8)',
  );
});

test('an empty multipart still yields a valid body', () => {
  const mp = part({ type: 'multipart', subtype: 'alternative', parts: [] });
  assert.equal(encodeValue(bodyStructureValue(mp, false)).toString(), '(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0) "ALTERNATIVE")');
});

test('envelope strings with 8-bit or CRLF become literals', () => {
  const env = { ...sampleEnvelope, subject: 'Grüße' };
  assert.match(encodeValue(envelopeValue(env)).toString(), /\{7\}\r\nGrüße/);
  assert.match(encodeValue(envelopeValue(env), { utf8: true }).toString(), /"Grüße"/);
  assert.equal(encodeValue(atom('X')).toString(), 'X');
});
