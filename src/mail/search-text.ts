/**
 * Decoded text of a message for a full-text index and IMAP SEARCH TEXT/BODY (RFC 3501 §6.4.4).
 *
 * `headers` holds the top-level header fields as "Name: value" lines, encoded-words decoded (RFC 2047).
 * `body` holds every text/* leaf decoded from quoted-printable / base64 and converted from its charset to
 * UTF-8 (libmime's charset module: iconv-lite plus the Japanese charsets iconv-lite lacks); HTML is reduced to
 * text crudely (tags, scripts and styles removed, common entities decoded). Headers of encapsulated messages
 * count as body text, as IMAP BODY search sees them. Each output is capped at MAX_SEARCH_TEXT characters, and
 * at most MAX_PART_DECODE_BYTES of any part are decoded. `subject` and `addresses` are what SEARCH SUBJECT and
 * FROM/TO/CC/BCC scan (headerSearchText), stored per body so the store can answer those keys. Pure, never throws.
 */

import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { parseHeaderBlock } from './headers.js';
import { decodeWords } from './sort-keys.js';
import type { MessageStructure, MimePart } from './structure.js';

export const MAX_SEARCH_TEXT = 1024 * 1024;
export const MAX_PART_DECODE_BYTES = 4 * 1024 * 1024;

/** The address header fields whose search texts are stored per body (IMAP SEARCH FROM, TO, CC, BCC). */
export type AddressHeaderName = 'from' | 'to' | 'cc' | 'bcc';

/** What SEARCH FROM/TO/CC/BCC scan for one message (headerSearchText of each field). */
export type AddressSearchTexts = Record<AddressHeaderName, string | null>;

export interface SearchText {
  headers: string;
  body: string;
  /** What SEARCH SUBJECT scans for this message (subjectSearchText); absent: no such row, always a candidate. */
  subject?: string | null;
  /** What SEARCH FROM/TO/CC/BCC scan (addressSearchTexts); absent: no such row, always a candidate. */
  addresses?: AddressSearchTexts;
}

/** RFC 5322 §2.2.3: a first line that starts with WSP would continue the last field of a prefix put before it. */
function startsWithContinuation(header: Buffer): boolean {
  return header.length > 0 && (header[0] === 0x20 || header[0] === 0x09);
}

/**
 * headerSearchText for each of a fixed set of lower-case `names` in one parse of the header block (the caller
 * handles a leading continuation line).
 */
function fieldTexts<N extends string>(header: Buffer, names: readonly N[]): Record<N, string | null> {
  const values = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const f of parseHeaderBlock(header)) values.get(f.name.toLowerCase())?.push(decodeWords(f.value).toLowerCase());
  const out = {} as Record<N, string | null>;
  for (const n of names) {
    const v = values.get(n)!;
    out[n] = v.length === 0 ? null : v.join('\n');
  }
  return out;
}

/**
 * The text SEARCH `name` scans for a message's header bytes (SUBJECT, FROM, TO, CC, BCC: RFC 9051 §6.4.4): the
 * decoded values (decodeWords) of every top-level field called `name` (case-insensitive), each lower-cased
 * (String.prototype.toLowerCase) and joined by "\n"; null when there is no such field. These are exactly the values
 * IMAP's check compares (MessageFields.header: the same parseHeaderBlock and decodeWords), so a message's text
 * contains a lower-cased needle without "\n" exactly when one of its values contains it case-insensitively.
 * Undefined (no row) when the header block starts with a continuation line: after a message's per-recipient prefix
 * that line would continue the prefix's last field, so the body alone does not tell.
 */
export function headerSearchText(header: Buffer, name: string): string | null | undefined {
  if (startsWithContinuation(header)) return undefined;
  const lower = name.toLowerCase();
  const values = parseHeaderBlock(header)
    .filter((f) => f.name.toLowerCase() === lower)
    .map((f) => decodeWords(f.value).toLowerCase());
  return values.length === 0 ? null : values.join('\n');
}

/** headerSearchText for Subject (SEARCH SUBJECT, stored in body_subjects). */
export function subjectSearchText(header: Buffer): string | null | undefined {
  return headerSearchText(header, 'subject');
}

const ADDRESS_NAMES: readonly AddressHeaderName[] = ['from', 'to', 'cc', 'bcc'];

/** headerSearchText for From, To, Cc and Bcc in one parse (stored in body_header_texts); undefined as there. */
export function addressSearchTexts(header: Buffer): AddressSearchTexts | undefined {
  return startsWithContinuation(header) ? undefined : fieldTexts(header, ADDRESS_NAMES);
}

/** RFC 2045 §6.7 quoted-printable: soft line breaks removed, =XX decoded, malformed escapes kept literally. */
export function decodeQuotedPrintable(src: Buffer): Buffer {
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  const hex = (b: number | undefined): number => {
    if (b === undefined) return -1;
    if (b >= 0x30 && b <= 0x39) return b - 0x30;
    if (b >= 0x41 && b <= 0x46) return b - 0x37;
    if (b >= 0x61 && b <= 0x66) return b - 0x57;
    return -1;
  };
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b !== 0x3d) {
      out[o++] = b;
      continue;
    }
    const h = hex(src[i + 1]);
    const l = hex(src[i + 2]);
    if (h >= 0 && l >= 0) {
      out[o++] = (h << 4) | l;
      i += 2;
      continue;
    }
    // Soft line break: "=" then optional trailing whitespace then CRLF or LF.
    let j = i + 1;
    while (src[j] === 0x20 || src[j] === 0x09) j++;
    if (src[j] === 0x0d && src[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (src[j] === 0x0a) {
      i = j;
      continue;
    }
    if (j >= src.length) break;
    out[o++] = b;
  }
  return out.subarray(0, o);
}

/** Decodes a part body per its Content-Transfer-Encoding (RFC 2045 §6); unknown encodings pass through. */
export function decodeTransferEncoding(body: Buffer, encoding: string): Buffer {
  switch (encoding.toUpperCase()) {
    case 'BASE64':
      // Node ignores characters outside the base64 alphabet, which suits sloppy line wrapping.
      return Buffer.from(body.toString('latin1'), 'base64');
    case 'QUOTED-PRINTABLE':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Crude HTML to text: drops script/style/head, comments and tags; decodes common and numeric entities. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|p|div|tr|li|h[1-6])\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t]+/g, ' ');
}

function decodeWordsSafe(s: string): string {
  if (!s.includes('=?')) return s;
  try {
    return libmime.decodeWords(s);
  } catch {
    return s;
  }
}

function headerText(raw: Buffer, start: number, end: number): string {
  return parseHeaderBlock(raw.subarray(start, end))
    .map((f) => `${f.name}: ${decodeWordsSafe(f.value)}`)
    .join('\n');
}

class Collector {
  text = '';
  get full(): boolean {
    return this.text.length >= MAX_SEARCH_TEXT;
  }
  add(s: string): void {
    if (this.full || s === '') return;
    const room = MAX_SEARCH_TEXT - this.text.length;
    this.text += (this.text === '' ? '' : '\n') + (s.length > room ? s.slice(0, room) : s);
  }
}

function partText(raw: Buffer, part: MimePart): string {
  const end = Math.min(part.bodyEnd, part.bodyStart + MAX_PART_DECODE_BYTES);
  const bytes = decodeTransferEncoding(raw.subarray(part.bodyStart, end), part.encoding);
  let text: string;
  try {
    const cs = (part.params['charset'] ?? '').toLowerCase();
    // US-ASCII (often just the RFC 2046 default) is read as its superset UTF-8 so unlabelled 8-bit text survives.
    text = decodeCharset(bytes, cs === '' || cs === 'us-ascii' || cs === 'ascii' ? 'utf-8' : cs);
  } catch {
    text = bytes.toString('utf8');
  }
  return part.subtype === 'html' ? htmlToText(text) : text;
}

function walk(raw: Buffer, part: MimePart, out: Collector): void {
  if (out.full) return;
  if (part.parts) {
    for (const p of part.parts) walk(raw, p, out);
  } else if (part.message) {
    const root = part.message.root;
    out.add(headerText(raw, root.headerStart, root.bodyStart));
    walk(raw, root, out);
  } else if (part.type === 'text') {
    out.add(partText(raw, part));
  }
}

/** Extracts the decoded header and body text of a parsed message. */
export function extractSearchText(raw: Buffer, structure: MessageStructure): SearchText {
  const headers = new Collector();
  const body = new Collector();
  let subject: string | null | undefined;
  let addresses: AddressSearchTexts | undefined;
  try {
    headers.add(headerText(raw, 0, structure.headerEnd));
    const texts = startsWithContinuation(raw.subarray(0, structure.headerEnd))
      ? undefined
      : fieldTexts(raw.subarray(0, structure.headerEnd), ['subject', ...ADDRESS_NAMES]);
    if (texts !== undefined) {
      subject = texts.subject;
      addresses = { from: texts.from, to: texts.to, cc: texts.cc, bcc: texts.bcc };
    }
    walk(raw, structure.root, body);
  } catch {
    // keep what was collected: a search index must not fail a delivery
  }
  const out: SearchText = { headers: headers.text, body: body.text };
  if (subject !== undefined) out.subject = subject;
  if (addresses !== undefined) out.addresses = addresses;
  return out;
}
