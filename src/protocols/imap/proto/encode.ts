/**
 * Response encoding (RFC 9051 §4 data formats, §7 responses): a small value model (`ImapValue`) and the
 * functions that turn it into bytes — atoms, numbers, quoted strings, literals and literal8, NIL,
 * parenthesised lists — plus untagged, tagged, continuation and FETCH responses.
 * Strings are quoted when safe and sent as literals when they hold CR, LF, NUL, 8-bit text (unless the
 * client enabled UTF8=ACCEPT / IMAP4rev2, RFC 6855 §3) or are long. Pure.
 */

/** A value in a response. Plain JS strings are IMAP strings (quoted or literal); use `atom()` for atoms. */
export type ImapValue =
  | null
  | number
  | bigint
  | string
  | Buffer
  | ImapAtom
  | ImapLiteral
  | ImapRaw
  | ImapConcat
  | readonly ImapValue[];

/** An atom or other verbatim token (flags, keywords, labels like `BODY[1]`). */
export interface ImapAtom {
  readonly t: 'atom';
  readonly text: string;
}
/** Forces literal form; `binary` writes a literal8 `~{n}` (RFC 3516). */
export interface ImapLiteral {
  readonly t: 'literal';
  readonly data: Buffer;
  readonly binary: boolean;
}
/** Pre-encoded bytes inserted verbatim. */
export interface ImapRaw {
  readonly t: 'raw';
  readonly data: Buffer;
}
/** A parenthesised list whose members are written without separating spaces (address lists, multipart bodies). */
export interface ImapConcat {
  readonly t: 'concat';
  readonly items: readonly ImapValue[];
}

export function atom(text: string): ImapAtom {
  return { t: 'atom', text };
}
export function literal(data: Buffer | string, binary = false): ImapLiteral {
  return { t: 'literal', data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data, binary };
}
export function raw(data: Buffer | string): ImapRaw {
  return { t: 'raw', data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data };
}
export function concat(items: readonly ImapValue[]): ImapConcat {
  return { t: 'concat', items };
}

export interface EncodeOptions {
  /** UTF-8 may appear in quoted strings (IMAP4rev2 or UTF8=ACCEPT enabled). Default false. */
  utf8?: boolean;
  /** Strings longer than this (bytes) are sent as literals. Default 1024. */
  maxQuoted?: number;
}

/**
 * Scans a string once: 0 when it can be sent as is inside quotes, 1 when `"` or `\` must be escaped,
 * 2 when it needs a literal (CR, LF, NUL, 8-bit without UTF-8, or longer than maxQuoted octets).
 */
function classify(s: string, opts: EncodeOptions): 0 | 1 | 2 {
  const max = opts.maxQuoted ?? 1024;
  if (s.length > max) return 2;
  let escape: 0 | 1 = 0;
  let wide = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      if (!opts.utf8) return 2;
      wide = true;
    } else if (c === 0x22 || c === 0x5c) escape = 1;
    else if (c === 0x0d || c === 0x0a || c === 0) return 2;
  }
  return wide && Buffer.byteLength(s, 'utf8') > max ? 2 : escape;
}

/** Does the string need a literal rather than a quoted string? */
export function needsLiteral(s: string, opts: EncodeOptions = {}): boolean {
  return classify(s, opts) === 2;
}

/** RFC 9051 §4.3 quoted string: `"` and `\` escaped. The caller ensures `needsLiteral` is false. */
export function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (m) => '\\' + m)}"`;
}

/**
 * A string as a quoted string or a literal, whichever is valid, as a JS string whose UTF-8 encoding is the
 * wire form (a literal's count is the UTF-8 octet count of its data).
 */
export function stringText(s: string, opts: EncodeOptions = {}): string {
  switch (classify(s, opts)) {
    case 0:
      return '"' + s + '"';
    case 1:
      return quoted(s);
    default:
      return `{${Buffer.byteLength(s, 'utf8')}}\r\n${s}`;
  }
}

/** nstring: NIL or `stringText`. */
export function nstringText(s: string | null, opts: EncodeOptions = {}): string {
  return s === null ? 'NIL' : stringText(s, opts);
}

/** Encodes a string as a quoted string or a literal, whichever is valid. */
export function encodeString(s: string, opts: EncodeOptions = {}): Buffer {
  return Buffer.from(stringText(s, opts), 'utf8');
}

/** `{n}` CRLF data, or `~{n}` for literal8. */
export function encodeLiteral(data: Buffer, binary: boolean): Buffer {
  return Buffer.concat([Buffer.from(`${binary ? '~' : ''}{${data.length}}\r\n`, 'latin1'), data]);
}

/** A valid IMAP atom (RFC 9051 §9 ATOM-CHAR)? */
export function isAtom(s: string): boolean {
  return /^[\x21\x23\x24\x26\x27\x2b-\x5b\x5e-\x7a\x7c-\x7e]+$/.test(s);
}

/** astring: atom when possible (not "NIL"), else quoted or literal. */
export function encodeAstring(s: string, opts: EncodeOptions = {}): Buffer {
  if (isAtom(s) && s.toUpperCase() !== 'NIL') return Buffer.from(s, 'latin1');
  return encodeString(s, opts);
}

/**
 * Builds a response as text, switching to Buffers only around byte data (literals, raw bytes, Buffer values):
 * the text holds exactly what its UTF-8 encoding puts on the wire.
 */
class Writer {
  private readonly parts: Buffer[] = [];
  text = '';

  constructor(private readonly opts: EncodeOptions) {}

  bytes(b: Buffer): void {
    if (this.text) {
      this.parts.push(Buffer.from(this.text, 'utf8'));
      this.text = '';
    }
    this.parts.push(b);
  }

  value(v: ImapValue): void {
    if (v === null) {
      this.text += 'NIL';
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      this.text += String(v);
    } else if (typeof v === 'string') {
      this.text += stringText(v, this.opts);
    } else if (Buffer.isBuffer(v)) {
      // Bytes of unknown content: quoted if plain printable ASCII and short, else a literal.
      const s = v.toString('latin1');
      if (v.length <= (this.opts.maxQuoted ?? 1024) && /^[\x20-\x7e]*$/.test(s)) this.text += quoted(s);
      else {
        this.text += `${v.includes(0) ? '~' : ''}{${v.length}}\r\n`;
        this.bytes(v);
      }
    } else if (Array.isArray(v)) {
      this.text += '(';
      for (let i = 0; i < v.length; i++) {
        if (i) this.text += ' ';
        this.value(v[i] as ImapValue);
      }
      this.text += ')';
    } else {
      const o = v as ImapAtom | ImapLiteral | ImapRaw | ImapConcat;
      switch (o.t) {
        case 'atom':
          this.text += o.text;
          break;
        case 'literal':
          this.text += `${o.binary ? '~' : ''}{${o.data.length}}\r\n`;
          this.bytes(o.data);
          break;
        case 'raw':
          this.bytes(o.data);
          break;
        case 'concat':
          this.text += '(';
          for (const item of o.items) this.value(item);
          this.text += ')';
          break;
      }
    }
  }

  done(): Buffer {
    if (this.parts.length === 0) return Buffer.from(this.text, 'utf8');
    if (this.text) this.parts.push(Buffer.from(this.text, 'utf8'));
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }
}

/** Encodes one value. */
export function encodeValue(v: ImapValue, opts: EncodeOptions = {}): Buffer {
  const w = new Writer(opts);
  w.value(v);
  return w.done();
}

/** Encodes values separated by single spaces (a response's body). */
export function encodeValues(values: readonly ImapValue[], opts: EncodeOptions = {}): Buffer {
  const w = new Writer(opts);
  for (let i = 0; i < values.length; i++) {
    if (i) w.text += ' ';
    w.value(values[i]!);
  }
  return w.done();
}

/** `* ` values CRLF, e.g. untagged(atom('3'), atom('EXISTS')). */
export function untagged(values: readonly ImapValue[], opts: EncodeOptions = {}): Buffer {
  const w = new Writer(opts);
  w.text = '* ';
  for (let i = 0; i < values.length; i++) {
    if (i) w.text += ' ';
    w.value(values[i]!);
  }
  w.text += '\r\n';
  return w.done();
}

export type ResponseStatus = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

/** Human text in a status response: one line, no CR/LF (RFC 9051 §9 text = 1*TEXT-CHAR). */
function cleanText(text: string): string {
  const t = text.replace(/[\r\n\0]+/g, ' ').trim();
  return t.length ? t : 'done';
}

/** `tag OK [CODE] text` CRLF (RFC 9051 §7.1). `code` is written without brackets, e.g. `READ-WRITE`. */
export function tagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string, code?: string | null): Buffer {
  return Buffer.from(`${tag} ${status} ${code ? `[${code}] ` : ''}${cleanText(text)}\r\n`, 'utf8');
}

/** `* OK|NO|BAD|PREAUTH|BYE [CODE] text` CRLF. */
export function untaggedStatus(status: ResponseStatus, text: string, code?: string | null): Buffer {
  return Buffer.from(`* ${status} ${code ? `[${code}] ` : ''}${cleanText(text)}\r\n`, 'utf8');
}

/** `+ text` CRLF (RFC 9051 §7.6); `base64` is sent as is (AUTHENTICATE challenges). */
export function continuation(text = 'OK'): Buffer {
  return Buffer.from(`+ ${text.replace(/[\r\n]+/g, ' ')}\r\n`, 'utf8');
}

/** A flag list `(\Seen $Label)`; flags are atoms. */
export function flagList(flags: readonly string[]): ImapValue {
  return flags.map((f) => atom(f));
}

/**
 * `* seq FETCH (NAME value NAME value ...)` CRLF (RFC 9051 §7.5.2). Each item is [label, value]; labels
 * are written verbatim (`UID`, `BODY[1]<0>`, see `fetchResponseLabel`).
 */
export function fetchResponse(seq: number, items: ReadonlyArray<readonly [string, ImapValue]>, opts: EncodeOptions = {}): Buffer {
  const w = new Writer(opts);
  w.text = `* ${seq} FETCH (`;
  for (let i = 0; i < items.length; i++) {
    const [label, value] = items[i]!;
    w.text += `${i ? ' ' : ''}${label} `;
    w.value(value);
  }
  w.text += ')\r\n';
  return w.done();
}
