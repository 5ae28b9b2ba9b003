/**
 * Single-pass MIME parser producing `MessageStructure` (structure.ts): byte offsets for every entity's header
 * and body, content fields for BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2), and ENVELOPEs for the message
 * and every encapsulated message/rfc822 or message/global (RFC 6532 §3.5).
 *
 * Invariants:
 * - Offsets are exact positions in `raw` as stored, whatever the line endings (CRLF or bare LF).
 * - Never throws; broken MIME is parsed the way mail servers usually read it: a missing closing boundary lets the
 *   last part run to the end of its parent, a missing empty line makes the whole entity a header (empty body).
 * - The CRLF (or LF) before a boundary delimiter belongs to the delimiter (RFC 2046 §5.1.1), not to the part.
 * - Bounded work: no copies of the message (Buffer views and indexOf only), nesting capped at MAX_DEPTH and
 *   the part count at MAX_PARTS. An entity that cannot be expanded (too deep, too many parts, multipart
 *   without boundary, message/* in base64 or quoted-printable) becomes a leaf of type application/octet-stream,
 *   so BODYSTRUCTURE never claims a multipart without children or a message/rfc822 without an envelope.
 * - `lines` (RFC 3501 body-fld-lines) counts LF-terminated lines plus a final unterminated one, for text/*,
 *   message/rfc822 and message/global; it is 0 for the rest.
 */

import { crlfSize } from './crlf-size.js';
import {
  parseContentType,
  parseDisposition,
  parseLanguage,
  parseLocation,
  parseTransferEncoding,
  rawOrNull,
} from './content-fields.js';
import { buildEnvelope, ENVELOPE_FIELDS } from './envelope.js';
import { readHeaderValue, scanHeaderBlock } from './headers.js';
import { STRUCTURE_VERSION, type Envelope, type MessageStructure, type MimePart } from './structure.js';

export const MAX_DEPTH = 50;
export const MAX_PARTS = 10_000;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

const CONTENT_FIELDS = [
  'content-type',
  'content-transfer-encoding',
  'content-id',
  'content-description',
  'content-md5',
  'content-disposition',
  'content-language',
  'content-location',
] as const;
const MESSAGE_FIELDS = new Set<string>([...CONTENT_FIELDS, ...ENVELOPE_FIELDS]);
const PART_FIELDS = new Set<string>(CONTENT_FIELDS);

const CHUNK = 64 * 1024;

/** Counts LF bytes in ranges of one buffer; per-chunk counts are cached so nested ranges cost O(size) once. */
class LineCounter {
  private readonly chunks: Int32Array;
  constructor(private readonly buf: Buffer) {
    this.chunks = new Int32Array(Math.ceil(buf.length / CHUNK)).fill(-1);
  }

  private countRaw(start: number, end: number): number {
    const view = this.buf.subarray(start, end);
    let n = 0;
    let i = view.indexOf(LF);
    while (i !== -1) {
      n++;
      i = view.indexOf(LF, i + 1);
    }
    return n;
  }

  private chunk(k: number): number {
    let c = this.chunks[k]!;
    if (c === -1) {
      c = this.countRaw(k * CHUNK, Math.min(this.buf.length, (k + 1) * CHUNK));
      this.chunks[k] = c;
    }
    return c;
  }

  private countLf(start: number, end: number): number {
    if (end - start < 2 * CHUNK) return this.countRaw(start, end);
    const firstFull = Math.ceil(start / CHUNK);
    const lastFull = Math.floor(end / CHUNK); // exclusive
    let n = this.countRaw(start, firstFull * CHUNK) + this.countRaw(lastFull * CHUNK, end);
    for (let k = firstFull; k < lastFull; k++) n += this.chunk(k);
    return n;
  }

  /** RFC 3501 body-fld-lines for [start, end). */
  lines(start: number, end: number): number {
    if (end <= start) return 0;
    return this.countLf(start, end) + (this.buf[end - 1] === LF ? 0 : 1);
  }
}

interface Ctx {
  buf: Buffer;
  parts: number;
  lines: LineCounter;
}

interface Entity {
  part: MimePart;
  values: Map<string, string>;
}

function isMessageType(type: string, subtype: string): boolean {
  return type === 'message' && (subtype === 'rfc822' || subtype === 'global');
}

function makeLeafOpaque(part: MimePart): void {
  part.type = 'application';
  part.subtype = 'octet-stream';
  part.lines = 0;
  delete part.parts;
  delete part.message;
}

/** Parses the entity occupying [start, end): its header, its body, and its children. */
function parseEntity(ctx: Ctx, start: number, end: number, depth: number, inDigest: boolean, isMessage: boolean): Entity {
  ctx.parts++;
  const { buf } = ctx;
  const span = scanHeaderBlock(buf, start, end);
  const wanted = isMessage ? MESSAGE_FIELDS : PART_FIELDS;
  const values = new Map<string, string>();
  for (const f of span.fields) {
    if (wanted.has(f.name) && !values.has(f.name)) values.set(f.name, readHeaderValue(buf, f));
  }
  const get = (n: string): string | null => values.get(n) ?? null;
  const ct = parseContentType(get('content-type'), inDigest);
  const bodyStart = Math.min(span.bodyStart, end);
  const part: MimePart = {
    headerStart: start,
    bodyStart,
    bodyEnd: end,
    type: ct.type,
    subtype: ct.subtype,
    params: ct.params,
    id: rawOrNull(get('content-id')),
    description: rawOrNull(get('content-description')),
    encoding: parseTransferEncoding(get('content-transfer-encoding')),
    md5: rawOrNull(get('content-md5')),
    disposition: parseDisposition(get('content-disposition')),
    language: parseLanguage(get('content-language')),
    location: parseLocation(get('content-location')),
    size: end - bodyStart,
    lines: 0,
  };

  if (part.type === 'multipart') {
    const boundary = part.params['boundary'];
    if (!boundary || depth >= MAX_DEPTH || ctx.parts >= MAX_PARTS) {
      makeLeafOpaque(part);
    } else {
      const children = splitMultipart(ctx, bodyStart, end, boundary, depth + 1, part.subtype === 'digest');
      if (children.length === 0) makeLeafOpaque(part);
      else part.parts = children;
    }
  } else if (isMessageType(part.type, part.subtype)) {
    // RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary; an encoded one is opaque to us.
    const encoded = part.encoding === 'BASE64' || part.encoding === 'QUOTED-PRINTABLE';
    if (encoded || depth >= MAX_DEPTH || ctx.parts >= MAX_PARTS) {
      makeLeafOpaque(part);
    } else {
      const inner = parseEntity(ctx, bodyStart, end, depth + 1, false, true);
      part.message = { envelope: buildEnvelope(inner.values), root: inner.part };
      part.lines = ctx.lines.lines(bodyStart, end);
    }
  } else if (part.type === 'text') {
    part.lines = ctx.lines.lines(bodyStart, end);
  }
  return { part, values };
}

/**
 * Finds the delimiter lines of `boundary` in [start, end) (RFC 2046 §5.1.1): "--" boundary at the start of a
 * line, then "--" for the close delimiter, then optional transport padding (SP / HTAB) and the line end.
 * A longer boundary that merely starts with ours is not a match.
 */
function splitMultipart(ctx: Ctx, start: number, end: number, boundary: string, depth: number, digest: boolean): MimePart[] {
  const { buf } = ctx;
  const view = buf.subarray(start, end);
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const children: MimePart[] = [];
  let partStart = -1; // relative to view; -1 while in the preamble
  let from = 0;
  while (from <= view.length - delim.length) {
    const idx = view.indexOf(delim, from);
    if (idx === -1) break;
    from = idx + 1;
    if (idx > 0 && view[idx - 1] !== LF) continue;
    let k = idx + delim.length;
    let close = false;
    if (view[k] === DASH && view[k + 1] === DASH) {
      close = true;
      k += 2;
    }
    while (k < view.length && (view[k] === 0x20 || view[k] === 0x09)) k++;
    let lineEnd: number;
    if (k >= view.length) lineEnd = view.length;
    else if (view[k] === LF) lineEnd = k + 1;
    else if (view[k] === CR && (k + 1 >= view.length || view[k + 1] === LF)) lineEnd = Math.min(view.length, k + 2);
    else continue; // not a delimiter line (e.g. a longer boundary sharing our prefix)

    if (partStart !== -1) {
      // The line break before the delimiter belongs to the delimiter.
      let partEnd = idx;
      if (partEnd > partStart && view[partEnd - 1] === LF) partEnd--;
      if (partEnd > partStart && view[partEnd - 1] === CR) partEnd--;
      if (!addChild(ctx, children, start + partStart, start + partEnd, depth, digest)) return children;
    }
    if (close) return children; // the rest is the epilogue
    partStart = lineEnd;
    from = lineEnd;
  }
  // No close delimiter: the last part runs to the end of the parent.
  if (partStart !== -1) addChild(ctx, children, start + partStart, end, depth, digest);
  return children;
}

function addChild(ctx: Ctx, children: MimePart[], start: number, end: number, depth: number, digest: boolean): boolean {
  if (ctx.parts >= MAX_PARTS) return false;
  children.push(parseEntity(ctx, start, end, depth, digest, false).part);
  return true;
}

const EMPTY_ENVELOPE: Envelope = {
  date: null,
  subject: null,
  from: null,
  sender: null,
  replyTo: null,
  to: null,
  cc: null,
  bcc: null,
  inReplyTo: null,
  messageId: null,
};

/** Parses a whole stored message. Never throws; garbage in gives a text/plain leaf. */
export function parseMessage(raw: Buffer): MessageStructure {
  const ctx: Ctx = { buf: raw, parts: 0, lines: new LineCounter(raw) };
  try {
    const { part, values } = parseEntity(ctx, 0, raw.length, 0, false, true);
    return { version: STRUCTURE_VERSION, crlfSize: crlfSize(raw), headerEnd: part.bodyStart, envelope: buildEnvelope(values), root: part };
  } catch {
    // Defensive only: nothing above is expected to throw. Fall back to one opaque text part.
    return {
      version: STRUCTURE_VERSION,
      crlfSize: crlfSize(raw),
      headerEnd: 0,
      envelope: { ...EMPTY_ENVELOPE },
      root: {
        headerStart: 0,
        bodyStart: 0,
        bodyEnd: raw.length,
        type: 'text',
        subtype: 'plain',
        params: { charset: 'us-ascii' },
        id: null,
        description: null,
        encoding: '7BIT',
        md5: null,
        disposition: null,
        language: null,
        location: null,
        size: raw.length,
        lines: 0,
      },
    };
  }
}
