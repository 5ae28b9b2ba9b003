/**
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3; still used by IMAP4rev2 clients without UTF8=ACCEPT,
 * RFC 9051 §5.1). Encoding: printable US-ASCII except `&` is itself, `&` is `&-`, anything else is
 * UTF-16BE in modified BASE64 (`,` for `/`, no padding) between `&` and `-`.
 * Decoding is strict: raw 8-bit or control bytes, empty or unterminated shifts, non-zero padding bits,
 * odd UTF-16 length, lone surrogates, printable ASCII inside a shift, or two adjacent shifts are a
 * ParseError('invalid-mutf7'). Pure.
 */

import { ParseError } from './errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const B64_INDEX = new Map<string, number>([...B64].map((c, i) => [c, i]));

function isDirect(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

export function encodeMutf7(name: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = (): void => {
    if (!pending.length) return;
    const bytes: number[] = [];
    for (const u of pending) bytes.push(u >> 8, u & 0xff);
    let bits = 0;
    let acc = 0;
    let s = '&';
    for (const b of bytes) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        s += B64[(acc >> bits) & 0x3f];
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) s += B64[(acc << (6 - bits)) & 0x3f];
    out += s + '-';
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (isDirect(code)) {
      flush();
      out += code === 0x26 ? '&-' : name[i];
    } else {
      pending.push(code);
    }
  }
  flush();
  return out;
}

function bad(name: string, why: string): never {
  // The name is echoed for the user; control characters would corrupt the response text (RFC 9051 §9 text).
  const shown = Array.from(name.slice(0, 60), (ch) => (ch.charCodeAt(0) < 0x20 || ch === '\x7f' ? '?' : ch)).join('');
  throw new ParseError('invalid-mutf7', `Invalid modified UTF-7 mailbox name (${why}): ${shown}`);
}

export function decodeMutf7(name: string): string {
  let out = '';
  let i = 0;
  let lastShiftEnd = -1;
  while (i < name.length) {
    const code = name.charCodeAt(i);
    if (!isDirect(code)) bad(name, 'non-ASCII or control character');
    if (code !== 0x26) {
      out += name[i];
      i++;
      continue;
    }
    const end = name.indexOf('-', i + 1);
    if (end < 0) bad(name, 'unterminated shift');
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    if (lastShiftEnd === i) bad(name, 'adjacent encoded sequences');
    let acc = 0;
    let bits = 0;
    const units: number[] = [];
    let hi = -1;
    for (let k = i + 1; k < end; k++) {
      const v = B64_INDEX.get(name[k]!);
      if (v === undefined) bad(name, 'invalid base64 character');
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push((acc >> bits) & 0xffff);
        acc &= (1 << bits) - 1;
      }
    }
    // leftover bits must be fewer than 6 and zero (RFC 2152 padding rules), and no partial UTF-16 unit
    if (bits >= 6 || acc !== 0) bad(name, 'bad padding');
    if (!units.length) bad(name, 'empty shift');
    for (const u of units) {
      if (isDirect(u)) bad(name, 'printable ASCII encoded');
      if (u >= 0xd800 && u <= 0xdbff) {
        if (hi >= 0) bad(name, 'unpaired surrogate');
        hi = u;
        continue;
      }
      if (u >= 0xdc00 && u <= 0xdfff) {
        if (hi < 0) bad(name, 'unpaired surrogate');
        out += String.fromCharCode(hi, u);
        hi = -1;
        continue;
      }
      if (hi >= 0) bad(name, 'unpaired surrogate');
      out += String.fromCharCode(u);
    }
    if (hi >= 0) bad(name, 'unpaired surrogate');
    i = end + 1;
    lastShiftEnd = i;
  }
  return out;
}
