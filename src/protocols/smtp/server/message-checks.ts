/**
 * Checks and normalisation of the received message bytes (after dot-unstuffing, before anything is added):
 *   - NUL bytes are refused (554 5.6.0): RFC 5322 §3.5 forbids them in a message, and IMAP could not hand
 *     them out in a normal literal (RFC 9051 §4.3);
 *   - a line longer than `max_line_length` octets including its CRLF is refused (554 5.6.0; RFC 5321
 *     §4.5.3.1.6 sets 1000, the config allows more);
 *   - bare LF and bare CR line endings are rewritten to CRLF (RFC 5321 §2.3.8: only CRLF ends a line;
 *     Postfix's smtpd_forbid_bare_newline=normalize). The end of DATA itself is only ever <CRLF>.<CRLF>
 *     (smtp-server), which closes the SMTP smuggling hole.
 *   - 8-bit bytes in headers without SMTPUTF8 are accepted as they are (Postfix and Exim do the same; the
 *     store keeps the bytes and the parser decodes them leniently).
 * Pure; returns the bytes to store (the same Buffer when nothing changed).
 */

import { MailError } from '../../../lib/errors.js';

export type InspectResult = { ok: true; data: Buffer; normalized: boolean } | { ok: false; error: MailError };

const CR = 0x0d;
const LF = 0x0a;

export function inspectMessage(data: Buffer, maxLineLength: number): InspectResult {
  if (data.includes(0)) {
    return { ok: false, error: new MailError('Message contains NUL characters', { code: 554, enhanced: '5.6.0', temporary: false }) };
  }
  let bare = false;
  let lineStart = 0;
  for (let i = data.indexOf(LF); ; i = data.indexOf(LF, i + 1)) {
    const end = i < 0 ? data.length : i + 1;
    if (end - lineStart > maxLineLength) {
      return {
        ok: false,
        error: new MailError(`Message contains a line longer than ${maxLineLength} octets`, { code: 554, enhanced: '5.6.0', temporary: false }),
      };
    }
    if (i < 0) break;
    if (i === 0 || data[i - 1] !== CR) bare = true;
    lineStart = i + 1;
  }
  // A CR not followed by LF is a bare CR.
  if (!bare) {
    for (let i = data.indexOf(CR); i >= 0; i = data.indexOf(CR, i + 1)) {
      if (data[i + 1] !== LF) {
        bare = true;
        break;
      }
    }
  }
  if (!bare) return { ok: true, data, normalized: false };
  return { ok: true, data: normalizeLineEndings(data), normalized: true };
}

/** Every CRLF, bare LF and bare CR becomes CRLF. */
export function normalizeLineEndings(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length * 2);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data[i] as number;
    if (c === CR) {
      out[o++] = CR;
      out[o++] = LF;
      if (data[i + 1] === LF) i++;
    } else if (c === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else {
      out[o++] = c;
    }
  }
  return Buffer.from(out.subarray(0, o));
}

/** The header block (through the empty line, or all of it when there is none), for data-phase checks. */
export function headerBlock(data: Buffer): Buffer {
  if (data.subarray(0, 2).equals(Buffer.from('\r\n'))) return data.subarray(0, 0);
  const i = data.indexOf('\r\n\r\n');
  return i < 0 ? data : data.subarray(0, i + 4);
}
