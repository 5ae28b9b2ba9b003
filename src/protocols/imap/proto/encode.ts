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

const CRLF = Buffer.from('\r\n');

/** Does the string need a literal rather than a quoted string? */
export function needsLiteral(s: string, opts: EncodeOptions = {}): boolean {
  if (s.length > (opts.maxQuoted ?? 1024)) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) return true;
    if (c >= 0x80 && !opts.utf8) return true;
  }
  return Buffer.byteLength(s, 'utf8') > (opts.maxQuoted ?? 1024);
}

/** RFC 9051 §4.3 quoted string: `"` and `\` escaped. The caller ensures `needsLiteral` is false. */
export function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (m) => '\\' + m)}"`;
}

/** Encodes a string as a quoted string or a literal, whichever is valid. */
export function encodeString(s: string, opts: EncodeOptions = {}): Buffer {
  if (needsLiteral(s, opts)) return encodeLiteral(Buffer.from(s, 'utf8'), false);
  return Buffer.from(quoted(s), 'utf8');
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

function encodeInto(v: ImapValue, out: Buffer[], opts: EncodeOptions): void {
  if (v === null) {
    out.push(Buffer.from('NIL'));
  } else if (typeof v === 'number' || typeof v === 'bigint') {
    out.push(Buffer.from(String(v), 'latin1'));
  } else if (typeof v === 'string') {
    out.push(encodeString(v, opts));
  } else if (Buffer.isBuffer(v)) {
    // Bytes of unknown content: quoted if plain printable ASCII and short, else a literal.
    const s = v.toString('latin1');
    if (v.length <= (opts.maxQuoted ?? 1024) && /^[\x20-\x7e]*$/.test(s)) out.push(Buffer.from(quoted(s), 'latin1'));
    else out.push(encodeLiteral(v, v.includes(0)));
  } else if (Array.isArray(v)) {
    out.push(Buffer.from('('));
    v.forEach((item: ImapValue, i: number) => {
      if (i) out.push(Buffer.from(' '));
      encodeInto(item, out, opts);
    });
    out.push(Buffer.from(')'));
  } else {
    const o = v as ImapAtom | ImapLiteral | ImapRaw | ImapConcat;
    switch (o.t) {
      case 'atom':
        out.push(Buffer.from(o.text, 'utf8'));
        break;
      case 'literal':
        out.push(encodeLiteral(o.data, o.binary));
        break;
      case 'raw':
        out.push(o.data);
        break;
      case 'concat':
        out.push(Buffer.from('('));
        for (const item of o.items) encodeInto(item, out, opts);
        out.push(Buffer.from(')'));
        break;
    }
  }
}

/** Encodes one value. */
export function encodeValue(v: ImapValue, opts: EncodeOptions = {}): Buffer {
  const out: Buffer[] = [];
  encodeInto(v, out, opts);
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

/** Encodes values separated by single spaces (a response's body). */
export function encodeValues(values: readonly ImapValue[], opts: EncodeOptions = {}): Buffer {
  const out: Buffer[] = [];
  values.forEach((v, i) => {
    if (i) out.push(Buffer.from(' '));
    encodeInto(v, out, opts);
  });
  return Buffer.concat(out);
}

/** `* ` values CRLF, e.g. untagged(atom('3'), atom('EXISTS')). */
export function untagged(values: readonly ImapValue[], opts: EncodeOptions = {}): Buffer {
  return Buffer.concat([Buffer.from('* '), encodeValues(values, opts), CRLF]);
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
  const out: Buffer[] = [Buffer.from(`* ${seq} FETCH (`)];
  items.forEach(([label, value], i) => {
    out.push(Buffer.from(`${i ? ' ' : ''}${label} `, 'latin1'));
    encodeInto(value, out, opts);
  });
  out.push(Buffer.from(')\r\n'));
  return Buffer.concat(out);
}
