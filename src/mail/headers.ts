/**
 * Header blocks (RFC 5322 §2.2, §3.6) and trace header builders (RFC 5321 §4.4).
 *
 * Scanning works on byte ranges of a Buffer and never copies the message: a header block ends at the first
 * empty line (CRLF CRLF, or bare LF LF as stored), or at the end of the range when there is none. Lines that
 * are not fields (no colon, bad name, a continuation with nothing to continue, an mbox "From " line) are
 * skipped, never fatal. Header bytes that are not valid UTF-8 are read as Latin-1 so nothing is lost.
 * Pure functions: no I/O, no clock (callers pass the date).
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** A single value is materialised up to this many bytes; a 20 MB folded header must not become a 20 MB string. */
export const MAX_HEADER_VALUE_BYTES = 256 * 1024;

/** Byte positions of one header field inside the scanned buffer. */
export interface HeaderFieldSpan {
  /** Lower-cased field name. */
  name: string;
  /** Start of the field (its name). */
  start: number;
  /** First byte after the colon. */
  valueStart: number;
  /** End of the field including its final line ending. */
  end: number;
}

export interface HeaderBlockSpan {
  fields: HeaderFieldSpan[];
  /** Where the empty line starts (or the end of the range when there is no empty line). */
  headerEnd: number;
  /** First byte of the body: just past the empty line, or the end of the range. */
  bodyStart: number;
}

export interface HeaderField {
  /** Field name as written (case kept). */
  name: string;
  /** Unfolded value, leading and trailing whitespace removed, not decoded (encoded-words kept). */
  value: string;
  /** The field's bytes exactly as stored, including line endings. */
  raw: Buffer;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Bytes to string: ASCII fast path, then strict UTF-8 (RFC 6532), then Latin-1 so 8-bit garbage survives. */
export function decodeHeaderBytes(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (ascii) return buf.toString('latin1');
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return buf.toString('latin1');
  }
}

/** RFC 5322 §2.2.3 unfolding: remove every CRLF (or bare LF / CR) that is part of a fold. */
export function unfold(value: string): string {
  return value.replace(/\r?\n|\r/g, '');
}

function isFieldNameByte(b: number): boolean {
  // RFC 5322 §3.6.8: ftext = %d33-57 / %d59-126
  return b >= 33 && b <= 126 && b !== COLON;
}

/**
 * Finds the fields of the header block that starts at `start` and may run to `end` (exclusive).
 * Only names are materialised; values are read on demand with `readHeaderValue`.
 */
export function scanHeaderBlock(buf: Buffer, start = 0, end = buf.length): HeaderBlockSpan {
  const view = buf.subarray(start, end);
  const len = view.length;
  const fields: HeaderFieldSpan[] = [];
  let cur: HeaderFieldSpan | null = null;
  let pos = 0;
  while (pos < len) {
    const nl = view.indexOf(LF, pos);
    const lineEnd = nl === -1 ? len : nl + 1;
    let contentEnd = nl === -1 ? len : nl;
    if (contentEnd > pos && view[contentEnd - 1] === CR) contentEnd--;
    if (contentEnd === pos) {
      // The empty line that ends the header block (RFC 5322 §2.1). A lone CR at the very end counts too.
      if (cur) fields.push(cur);
      return { fields, headerEnd: start + pos, bodyStart: start + lineEnd };
    }
    const first = view[pos]!;
    if (first === SP || first === HTAB) {
      // Continuation line of a folded field (RFC 5322 §2.2.3); ignored when there is no field to continue.
      if (cur) cur.end = start + lineEnd;
      pos = lineEnd;
      continue;
    }
    if (cur) {
      fields.push(cur);
      cur = null;
    }
    let i = pos;
    while (i < contentEnd && isFieldNameByte(view[i]!)) i++;
    const nameEnd = i;
    // obs-optional (RFC 5322 §4.5.8): whitespace between the name and the colon.
    while (i < contentEnd && (view[i] === SP || view[i] === HTAB)) i++;
    if (nameEnd > pos && i < contentEnd && view[i] === COLON) {
      cur = {
        name: view.toString('latin1', pos, nameEnd).toLowerCase(),
        start: start + pos,
        valueStart: start + i + 1,
        end: start + lineEnd,
      };
    }
    // else: a garbage line, skipped, and so are continuation lines after it
    pos = lineEnd;
  }
  if (cur) fields.push(cur);
  return { fields, headerEnd: start + len, bodyStart: start + len };
}

/** The unfolded, trimmed value of a field found by `scanHeaderBlock` (capped at MAX_HEADER_VALUE_BYTES). */
export function readHeaderValue(buf: Buffer, field: HeaderFieldSpan): string {
  const end = Math.min(field.end, field.valueStart + MAX_HEADER_VALUE_BYTES);
  return unfold(decodeHeaderBytes(buf.subarray(field.valueStart, end))).replace(/^[ \t]+|[ \t]+$/g, '');
}

/** Parses the header block at the start of `buf` (a whole message or just its header). */
export function parseHeaderBlock(buf: Buffer): HeaderField[] {
  const span = scanHeaderBlock(buf);
  return span.fields.map((f) => ({
    name: buf.toString('latin1', f.start, f.valueStart - 1).replace(/[ \t]+$/, ''),
    value: readHeaderValue(buf, f),
    raw: buf.subarray(f.start, f.end),
  }));
}

/** First value of `name` (case-insensitive) among parsed fields, or null. */
export function getHeader(fields: readonly HeaderField[], name: string): string | null {
  const lower = name.toLowerCase();
  for (const f of fields) if (f.name.toLowerCase() === lower) return f.value;
  return null;
}

/** Every value of `name` (case-insensitive), in order. */
export function getHeaders(fields: readonly HeaderField[], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
}

/** How many `name` fields the top-level header block of `raw` has (loop detection: Received, Delivered-To). */
export function countHeader(raw: Buffer, name: string): number {
  const lower = name.toLowerCase();
  let n = 0;
  for (const f of scanHeaderBlock(raw).fields) if (f.name === lower) n++;
  return n;
}

/**
 * Whether the top-level header block has a `name` field whose value equals `value` (case-insensitive,
 * surrounding whitespace and angle brackets ignored): `hasHeaderValue(raw, 'Delivered-To', 'user@example.org')`.
 */
export function hasHeaderValue(raw: Buffer, name: string, value: string): boolean {
  const lower = name.toLowerCase();
  const want = stripAngles(value).toLowerCase();
  for (const f of scanHeaderBlock(raw).fields) {
    if (f.name === lower && stripAngles(readHeaderValue(raw, f)).toLowerCase() === want) return true;
  }
  return false;
}

/**
 * RFC 3501 §6.4.5 BODY[HEADER.FIELDS (...)] / HEADER.FIELDS.NOT: the raw bytes of the fields of the header block
 * at [start, end) whose names are (or, with `not`, are not) in `names`, in their original order, followed by
 * the empty line, which every header fetch includes.
 */
export function selectHeaderFields(raw: Buffer, start: number, end: number, names: readonly string[], not = false): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const chunks: Buffer[] = [];
  for (const f of scanHeaderBlock(raw, start, end).fields) {
    if (wanted.has(f.name) === not) continue;
    const field = raw.subarray(f.start, f.end);
    chunks.push(field);
    // A last field that ends without a line break (header-only entity) still gets one.
    if (field[field.length - 1] !== LF) chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from('\r\n'));
  return Buffer.concat(chunks);
}

function stripAngles(s: string): string {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

// ---------------------------------------------------------------------------------------------------------
// Trace headers (RFC 5321 §4.4)

/** RFC 3848 / RFC 6531 §4.3 "with" protocol types. */
export type ReceivedProtocol =
  | 'SMTP'
  | 'ESMTP'
  | 'ESMTPA'
  | 'ESMTPS'
  | 'ESMTPSA'
  | 'LMTP'
  | 'LMTPA'
  | 'LMTPS'
  | 'LMTPSA'
  | 'UTF8SMTP'
  | 'UTF8SMTPA'
  | 'UTF8SMTPS'
  | 'UTF8SMTPSA'
  | 'UTF8LMTP'
  | 'UTF8LMTPA'
  | 'UTF8LMTPS'
  | 'UTF8LMTPSA'
  | 'HTTP'
  | 'HTTPS'
  | 'local';

export interface ReceivedInfo {
  /** The EHLO/HELO argument as the client sent it (sanitised here). */
  from: string;
  /** The client's IP address (v4 or v6). */
  fromIp: string;
  /** The verified reverse DNS name of fromIp, if any. */
  ptrName?: string | null;
  /** Our host name. */
  by: string;
  with: ReceivedProtocol;
  tls?: { version: string; cipher: string } | null;
  /** The SMTP AUTH identity of the client (submission), as a comment like Postfix's; never a password. */
  authenticatedSender?: string | null;
  /** Queue or message id (an RFC 5322 atom). */
  id: string;
  /** The single recipient, when there is exactly one (RFC 5321 §4.4 warns against listing several). */
  for?: string | null;
  date: Date;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** RFC 5322 §3.3 date-time in UTC: "Tue, 01 Jan 2025 00:00:00 +0000". */
export function formatRfc5322Date(d: Date): string {
  return (
    `${WEEKDAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`
  );
}

/** Keeps only printable ASCII without the characters that would end a comment or start a new one. */
function sanitizeTraceText(s: string, max = 200): string {
  const t = s.replace(/[^\x21-\x7e]/g, '').replace(/[()\\;<>]/g, '');
  return (t.length > max ? t.slice(0, max) : t) || 'unknown';
}

function addressLiteral(ip: string): string {
  const clean = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  // RFC 5321 §4.1.3: IPv6 address literals carry the "IPv6:" tag.
  return clean.includes(':') ? `[IPv6:${clean}]` : `[${clean}]`;
}

/** Joins clauses into a field folded before each clause so that every line stays under 78 characters. */
function foldClauses(name: string, clauses: string[]): string {
  const lines: string[] = [];
  let line = `${name}:`;
  for (const c of clauses) {
    if (line.length + 1 + c.length <= 76 || line === `${name}:`) {
      line += ` ${c}`;
    } else {
      lines.push(line);
      line = `\t${c}`;
    }
  }
  lines.push(line);
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * RFC 5321 §4.4 time stamp line, complete with its trailing CRLF, e.g.
 * `Received: from helo.example (mail.example [192.0.2.1])\r\n\tby mx.example.org with ESMTPS\r\n\t(TLSv1.3 ...)
 * id X\r\n\tfor <u@example.org>; Tue, 01 Jan 2025 00:00:00 +0000\r\n`.
 */
export function buildReceivedHeader(info: ReceivedInfo): string {
  // From-domain = "FROM" FWS Extended-Domain; TCP-info = address-literal / ( Domain FWS address-literal )
  const lit = addressLiteral(info.fromIp.trim());
  const tcpInfo = info.ptrName ? `(${sanitizeTraceText(info.ptrName)} ${lit})` : `(${lit})`;
  const clauses = [`from ${sanitizeTraceText(info.from)}`, tcpInfo];
  if (info.authenticatedSender) clauses.push(`(Authenticated sender: ${sanitizeTraceText(info.authenticatedSender, 254)})`);
  clauses.push(`by ${sanitizeTraceText(info.by)}`);
  clauses.push(`with ${info.with}`);
  if (info.tls) {
    // A comment (CFWS may precede each Opt-info clause), as Postfix and Exim do.
    clauses.push(`(${sanitizeTraceText(info.tls.version, 40)} cipher ${sanitizeTraceText(info.tls.cipher, 80)})`);
  }
  clauses.push(`id ${sanitizeTraceText(info.id, 100)}`);
  if (info.for) clauses.push(`for <${sanitizeTraceText(info.for, 254)}>`);
  // Stamp ends with [CFWS] ";" FWS date-time.
  clauses[clauses.length - 1] += ';';
  clauses.push(formatRfc5322Date(info.date));
  return foldClauses('Received', clauses);
}

/** RFC 5321 §4.4 Return-Path, added at final delivery; the null sender gives `<>`. */
export function buildReturnPath(sender: string): string {
  return `Return-Path: <${sender.replace(/[\r\n<>]/g, '')}>\r\n`;
}

/** Delivered-To (Postfix/qmail practice) recording the final recipient, used for loop detection. */
export function buildDeliveredTo(addr: string): string {
  return `Delivered-To: ${addr.replace(/[\r\n]/g, '')}\r\n`;
}
