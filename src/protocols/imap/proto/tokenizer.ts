/**
 * A cursor over one framed IMAP command (the framer's bytes: the line(s) with literals inline, no final
 * CRLF). It reads the lexical items of RFC 9051 §9 / RFC 3501 §9: atoms, quoted strings, literals (incl.
 * `{n+}`, `{n-}` of RFC 7888 and `~{n}` literal8 of RFC 3516), numbers, astrings, list-mailbox.
 * Pure; every failure is a ParseError('syntax'); strings are decoded as strict UTF-8 (RFC 9051 / RFC 6855).
 */

import { ParseError } from './errors.js';

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_UINT32 = 4294967295;

/** RFC 9051 §9 atom-specials: ( ) { SP CTL % * " \ ] — plus 8-bit, which is never an ATOM-CHAR. */
export function isAtomChar(c: number): boolean {
  if (c <= 0x1f || c >= 0x7f) return false;
  switch (c) {
    case 0x28: case 0x29: case 0x7b: case SP: case 0x25: case 0x2a: case DQUOTE: case BACKSLASH: case 0x5d:
      return false;
    default:
      return true;
  }
}

/** RFC 9051 §9 ASTRING-CHAR = ATOM-CHAR / resp-specials ("]"). */
export function isAstringChar(c: number): boolean {
  return isAtomChar(c) || c === 0x5d;
}

/** RFC 9051 §9 list-char = ATOM-CHAR / list-wildcards / resp-specials. */
export function isListChar(c: number): boolean {
  return isAstringChar(c) || c === 0x25 || c === 0x2a;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode; invalid sequences are a ParseError (RFC 9051 §9: 8-bit strings are UTF-8). */
export function decodeUtf8(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new ParseError('invalid-utf8', 'Invalid UTF-8 in string');
  }
}

export interface Literal {
  data: Buffer;
  /** `~{n}` literal8 (RFC 3516): may contain NUL. */
  binary: boolean;
}

export class Cursor {
  constructor(readonly buf: Buffer, public pos = 0) {}

  get atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  peek(offset = 0): number {
    const i = this.pos + offset;
    return i < this.buf.length ? this.buf[i]! : -1;
  }

  fail(message: string): never {
    throw new ParseError('syntax', message);
  }

  /** Exactly one SP. */
  sp(): void {
    if (this.peek() !== SP) this.fail(this.atEnd ? 'Missing argument' : 'Expected a space');
    this.pos++;
  }

  maybeSp(): boolean {
    if (this.peek() === SP) {
      this.pos++;
      return true;
    }
    return false;
  }

  expect(ch: string): void {
    if (this.peek() !== ch.charCodeAt(0)) this.fail(`Expected "${ch}"`);
    this.pos++;
  }

  maybe(ch: string): boolean {
    if (this.peek() === ch.charCodeAt(0)) {
      this.pos++;
      return true;
    }
    return false;
  }

  is(ch: string): boolean {
    return this.peek() === ch.charCodeAt(0);
  }

  end(): void {
    if (!this.atEnd) this.fail('Unexpected extra arguments');
  }

  /** Case-insensitive keyword test at the cursor, followed by a delimiter (not an atom char). Consumes on match. */
  keyword(word: string): boolean {
    const n = word.length;
    if (this.pos + n > this.buf.length) return false;
    for (let i = 0; i < n; i++) {
      const a = this.buf[this.pos + i]!;
      const b = word.charCodeAt(i);
      if ((a | 0x20) !== (b | 0x20) || (a !== b && !isLetter(b))) return false;
    }
    const next = this.peek(n);
    if (next !== -1 && isAtomChar(next) && next !== 0x5b && next !== 0x2e) {
      // a longer atom ("FLAGSX"); '[' and '.' may follow a keyword (BODY[, FLAGS.SILENT)
      return false;
    }
    this.pos += n;
    return true;
  }

  /** 1*ATOM-CHAR. */
  atom(what = 'atom'): string {
    const start = this.pos;
    while (!this.atEnd && isAtomChar(this.buf[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail(`Expected ${what}`);
    return this.buf.toString('latin1', start, this.pos);
  }

  /** An atom that stops before '[' or '.', for fetch attribute names and similar. */
  word(): string {
    const start = this.pos;
    while (!this.atEnd) {
      const c = this.buf[this.pos]!;
      if (!isAtomChar(c) || c === 0x5b || c === 0x2e || c === 0x3c) break;
      this.pos++;
    }
    if (this.pos === start) this.fail('Expected a keyword');
    return this.buf.toString('latin1', start, this.pos).toUpperCase();
  }

  /** RFC 9051 §9 tag = 1*<any ASTRING-CHAR except "+">. */
  tag(): string {
    const start = this.pos;
    while (!this.atEnd) {
      const c = this.buf[this.pos]!;
      if (!isAstringChar(c) || c === 0x2b) break;
      this.pos++;
    }
    if (this.pos === start) this.fail('Missing or invalid tag');
    return this.buf.toString('latin1', start, this.pos);
  }

  /** Is the cursor at a literal (`{`, `~{`)? */
  atLiteral(): boolean {
    return this.is('{') || (this.is('~') && this.peek(1) === 0x7b);
  }

  /**
   * RFC 9051 §9 literal / RFC 3516 literal8 / RFC 7888 literal-plus/minus: `[~]{n[+-]}` CRLF n octets.
   * Returns a view into the command buffer (no copy).
   */
  literal(): Literal {
    const binary = this.maybe('~');
    this.expect('{');
    const start = this.pos;
    while (isDigit(this.peek())) this.pos++;
    if (this.pos === start || this.pos - start > 10) this.fail('Invalid literal length');
    const n = Number(this.buf.toString('latin1', start, this.pos));
    if (n > MAX_UINT32) this.fail('Invalid literal length');
    if (this.is('+') || this.is('-')) this.pos++;
    this.expect('}');
    if (this.peek() !== 0x0d || this.peek(1) !== 0x0a) this.fail('Literal length not followed by CRLF');
    this.pos += 2;
    if (this.pos + n > this.buf.length) this.fail('Truncated literal');
    const data = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    // RFC 9051 §4.3: a (non-binary) literal holds CHAR8, i.e. no NUL.
    if (!binary && data.includes(0)) this.fail('NUL in literal; use literal8 (~{n})');
    return { data, binary };
  }

  /** RFC 9051 §9 quoted: DQUOTE *QUOTED-CHAR DQUOTE, with \" and \\ escapes; UTF-8 allowed (rev2). */
  quotedBytes(): Buffer {
    this.expect('"');
    const out: number[] = [];
    const simpleStart = this.pos;
    let escaped = false;
    while (true) {
      if (this.atEnd) this.fail('Unterminated quoted string');
      const c = this.buf[this.pos]!;
      if (c === DQUOTE) break;
      if (c === 0x0d || c === 0x0a || c === 0) this.fail('CR, LF or NUL in quoted string');
      if (c === BACKSLASH) {
        const d = this.peek(1);
        if (d !== DQUOTE && d !== BACKSLASH) this.fail('Invalid escape in quoted string');
        if (!escaped) {
          for (let i = simpleStart; i < this.pos; i++) out.push(this.buf[i]!);
          escaped = true;
        }
        out.push(d);
        this.pos += 2;
        continue;
      }
      if (escaped) out.push(c);
      this.pos++;
    }
    const result = escaped ? Buffer.from(out) : this.buf.subarray(simpleStart, this.pos);
    this.pos++; // closing quote
    return result;
  }

  /** string = quoted / literal, as bytes. */
  stringBytes(): Buffer {
    if (this.is('"')) return this.quotedBytes();
    if (this.atLiteral()) return this.literal().data;
    return this.fail('Expected a string');
  }

  string(): string {
    return decodeUtf8(this.stringBytes());
  }

  /** nstring = string / NIL. */
  nstring(): string | null {
    if (this.keyword('NIL')) return null;
    return this.string();
  }

  /** astring = 1*ASTRING-CHAR / string. */
  astringBytes(): Buffer {
    if (this.is('"') || this.atLiteral()) return this.stringBytes();
    const start = this.pos;
    while (!this.atEnd && isAstringChar(this.buf[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail(this.atEnd ? 'Missing argument' : 'Expected an atom or string');
    return this.buf.subarray(start, this.pos);
  }

  astring(): string {
    return decodeUtf8(this.astringBytes());
  }

  /** RFC 9051 §9 list-mailbox = 1*list-char / string. */
  listMailbox(): string {
    if (this.is('"') || this.atLiteral()) return this.string();
    const start = this.pos;
    while (!this.atEnd && isListChar(this.buf[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail('Expected a mailbox pattern');
    return this.buf.toString('latin1', start, this.pos);
  }

  private digits(): string {
    const start = this.pos;
    while (isDigit(this.peek())) this.pos++;
    if (this.pos === start) this.fail('Expected a number');
    return this.buf.toString('latin1', start, this.pos);
  }

  /** RFC 9051 §9 number: 0..4294967295. */
  number(): number {
    const d = this.digits();
    const n = d.length > 10 ? Infinity : Number(d);
    if (n > MAX_UINT32) throw new ParseError('invalid-number', `Number out of range: ${d.slice(0, 20)}`);
    return n;
  }

  /** nz-number: 1..4294967295. */
  nzNumber(): number {
    const n = this.number();
    if (n === 0) throw new ParseError('invalid-number', 'Zero is not allowed here');
    return n;
  }

  /**
   * RFC 9051 §9 number64 / RFC 7162 mod-sequence-value: 0..2^63-1. Values above 2^53 lose precision as a JS
   * number; the store never hands out such values, so comparisons against real modseqs stay correct.
   */
  number64(): number {
    const d = this.digits();
    if (d.length > 19 || BigInt(d) > 9223372036854775807n) {
      throw new ParseError('invalid-number', `Number out of range: ${d.slice(0, 25)}`);
    }
    return Number(d);
  }

  /** Text up to the next SP or end (for sequence sets and similar atoms that include '*' and ':'). */
  untilSpace(): string {
    const start = this.pos;
    while (!this.atEnd) {
      const c = this.buf[this.pos]!;
      if (c === SP || c === 0x29 || c === 0x28) break;
      this.pos++;
    }
    if (this.pos === start) this.fail('Missing argument');
    return this.buf.toString('latin1', start, this.pos);
  }

  /** The rest of the buffer as latin1 text (for error messages and unknown commands). */
  rest(): string {
    return this.buf.toString('latin1', this.pos);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
