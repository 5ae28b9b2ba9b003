import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeValue,
  envelopeText,
  envelopeValue,
  fetchResponse,
  literal,
  nstringText,
  raw,
  stringText,
  type EncodeOptions,
} from '../../../../../src/protocols/imap/proto/index.js';
import type { Envelope } from '../../../../../src/mail/structure.js';

const SAMPLES = ['', 'plain', 'with "quotes"', 'back\\slash', 'caf\u00e9', 'line\r\nbreak', 'nul\0', 'x'.repeat(1024), 'x'.repeat(1025), '\u00e9'.repeat(600), 'NIL', '\ud83d\ude00 emoji'];
const MODES: EncodeOptions[] = [{}, { utf8: true }, { maxQuoted: 8 }, { utf8: true, maxQuoted: 8 }];

describe('string-building encoder', () => {
  it('stringText is byte for byte what the value encoder writes, in every mode', () => {
    for (const opts of MODES) {
      for (const s of SAMPLES) {
        assert.deepEqual(Buffer.from(stringText(s, opts), 'utf8'), encodeValue(s, opts), JSON.stringify([s.slice(0, 20), opts]));
      }
      assert.equal(nstringText(null, opts), 'NIL');
    }
  });

  it('quotes safe text, escapes quotes and backslashes, and sends CR/LF, NUL and 8-bit (without UTF8=ACCEPT) as literals', () => {
    assert.equal(stringText('a b'), '"a b"');
    assert.equal(stringText('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
    assert.equal(stringText('a\r\nb'), '{4}\r\na\r\nb');
    assert.equal(stringText('café'), '{5}\r\ncafé');
    assert.equal(stringText('café', { utf8: true }), '"café"');
    assert.equal(stringText('é'.repeat(600), { utf8: true }), `{1200}\r\n${'é'.repeat(600)}`);
  });

  it('envelopeText equals the encoded ENVELOPE value (defaults for Sender/Reply-To, groups, NIL lists)', () => {
    const envs: Envelope[] = [
      {
        date: 'Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
        subject: 'IMAP4rev1 WG mtg summary and minutes',
        from: [{ name: 'Terry Gray', adl: null, mailbox: 'gray', host: 'cac.washington.edu' }],
        sender: null,
        replyTo: [],
        to: [{ name: null, adl: null, mailbox: 'imap', host: 'cac.washington.edu' }],
        cc: [
          { name: null, adl: null, mailbox: 'minutes', host: 'CNRI.Reston.VA.US' },
          { name: 'John Klensin', adl: null, mailbox: 'KLENSIN', host: 'MIT.EDU' },
        ],
        bcc: null,
        inReplyTo: null,
        messageId: '<B27397-0100000@cac.washington.edu>',
      },
      {
        date: null,
        subject: 'Caf\u00e9 "menu"\r\nfolded',
        from: null,
        sender: [{ name: 'S', adl: null, mailbox: 's', host: 'x' }],
        replyTo: null,
        to: [
          { name: null, adl: null, mailbox: 'team', host: null },
          { name: 'Z\u00fcrich', adl: null, mailbox: 'z', host: 'x' },
          { name: null, adl: null, mailbox: null, host: null },
        ],
        cc: null,
        bcc: [],
        inReplyTo: '<a@b>',
        messageId: null,
      },
    ];
    for (const e of envs) {
      for (const opts of MODES) assert.deepEqual(Buffer.from(envelopeText(e, opts), 'utf8'), encodeValue(envelopeValue(e), opts));
    }
  });

  it('byte literals and raw bytes pass through untouched next to text', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x41]);
    const r = fetchResponse(3, [['UID', 7], ['BODY[]', literal(bytes)], ['X', raw(Buffer.from([0xfe]))], ['Y', ['a', null, 1]]]);
    assert.deepEqual(r, Buffer.concat([Buffer.from('* 3 FETCH (UID 7 BODY[] {3}\r\n'), bytes, Buffer.from(' X '), Buffer.from([0xfe]), Buffer.from(' Y ("a" NIL 1))\r\n')]));
    assert.deepEqual(encodeValue(Buffer.from([0x00, 0x01])), Buffer.concat([Buffer.from('~{2}\r\n'), Buffer.from([0, 1])]));
  });
});
