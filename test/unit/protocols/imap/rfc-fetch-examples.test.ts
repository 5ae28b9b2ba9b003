// The FETCH response examples of RFC 3501 (§8 sample session, message 12; §7.4.2 BODYSTRUCTURE) and RFC 9051
// (§7.5.2), reproduced byte for byte from raw messages built to match them: parse once (mail/parse-message)
// → ENVELOPE / BODY / BODYSTRUCTURE values (proto/body-structure) → the encoder (proto/encode).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMessage } from '../../../../src/mail/parse-message.js';
import { bodyStructureValue, envelopeValue } from '../../../../src/protocols/imap/proto/body-structure.js';
import { formatInternalDate } from '../../../../src/protocols/imap/proto/dates.js';
import { encodeValue, fetchResponse, flagList, raw } from '../../../../src/protocols/imap/proto/encode.js';

/** `lines` CRLF-terminated lines of `fill` whose bytes add up to exactly `total` (CRLFs included). */
function lines(count: number, total: number, fill: string): string {
  const base = Math.floor(total / count) - 2;
  let extra = total - count * (base + 2);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    out.push(fill.repeat(Math.ceil(n / fill.length)).slice(0, n));
  }
  return out.join('\r\n') + '\r\n';
}

describe('RFC FETCH response examples', () => {
  it('RFC 3501 §8 / RFC 9051 §8: message 12 FETCH FULL (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)', () => {
    const header =
      'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n' +
      'From: Terry Gray <gray@cac.washington.edu>\r\n' +
      'Subject: IMAP4rev1 WG mtg summary and minutes\r\n' +
      'To: imap@cac.washington.edu\r\n' +
      'cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n' +
      'Message-Id: <B27397-0100000@cac.washington.edu>\r\n' +
      'MIME-Version: 1.0\r\n' +
      'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n';
    const body = lines(92, 3028, 'minutes of the meeting ');
    // Pad the header so that the whole message is the RFC's 4286 octets.
    const padLen = 4286 - (header.length + 2 + body.length) - 'X-Pad: \r\n'.length;
    const rawMsg = Buffer.from(`${header}X-Pad: ${'p'.repeat(padLen)}\r\n\r\n${body}`);
    assert.equal(rawMsg.length, 4286);
    const s = parseMessage(rawMsg);
    const out = fetchResponse(12, [
      ['FLAGS', flagList(['\\Seen'])],
      ['INTERNALDATE', raw(formatInternalDate(Date.UTC(1996, 6, 17, 9, 44, 25), -420))],
      ['RFC822.SIZE', rawMsg.length],
      ['ENVELOPE', envelopeValue(s.envelope)],
      ['BODY', bodyStructureValue(s.root, false)],
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

  it('RFC 3501 §7.4.2 / RFC 9051 §7.5.2: the multipart/mixed BODYSTRUCTURE example', () => {
    const part1 = lines(23, 1152, 'The quick brown fox jumps over the lazy dog. ');
    const part2 = lines(73, 4554, 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo');
    // RFC 2046 §5.1.1: the CRLF before a boundary belongs to the boundary, so each part's body is followed by
    // one extra CRLF here to keep the part's own last line (and its CRLF) inside the counted size.
    const rawMsg = Buffer.from(
      'From: a@example.org\r\nSubject: diff\r\nMIME-Version: 1.0\r\nContent-Type: MULTIPART/MIXED; BOUNDARY="b"\r\n\r\n' +
        '--b\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n' +
        part1 +
        '\r\n--b\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n' +
        'Content-ID: <960723163407.20117h@cac.washington.edu>\r\nContent-Description: Compiler diff\r\n' +
        'Content-Transfer-Encoding: BASE64\r\n\r\n' +
        part2 +
        '\r\n--b--\r\n',
    );
    const s = parseMessage(rawMsg);
    assert.equal(
      encodeValue(bodyStructureValue(s.root, false)).toString(),
      '(("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") ' +
        '"<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73) "MIXED")',
    );
  });
});
