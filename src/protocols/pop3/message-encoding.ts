/**
 * How a stored message goes on the POP3 wire (RFC 1939 §3): every line ends in CRLF (a bare LF becomes
 * CRLF), a line starting with "." gets another "." (byte-stuffing), and the last line is terminated even if
 * the stored message does not end with a line break. The multi-line terminator ".CRLF" is the caller's.
 *
 * `Pop3Encoder` transforms chunk by chunk with constant state (no buffering of the message), and can stop
 * after the header and N body lines for TOP (RFC 1939 §7). `ServedSizeCounter` counts the octets the client
 * will have once it removed the stuffing: the size reported by STAT, LIST and RETR (RFC 1939 §5, §11:
 * "exact size" as seen with CRLF line ends). Both see the same bytes, so the sizes agree with RETR.
 * Pure: no I/O.
 */

import { crlfSize } from '../../mail/crlf-size.js';

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const DOT_BUF = Buffer.from('.');

export interface EncodeResult {
  out: Buffer;
  /** TOP only: the requested lines have all been produced; feed nothing more. */
  done: boolean;
}

export class Pop3Encoder {
  private atLineStart = true;
  private prevCR = false;
  /** True while inside the header (TOP counts body lines only after the empty line). */
  private inHeader = true;
  /** True when the current line has had no octet other than a CR yet (detects the empty separator line). */
  private lineEmpty = true;
  private bodyLines = 0;
  private finished = false;

  /** `topLines`: stop after the header and this many body lines (TOP); undefined = the whole message. */
  constructor(private readonly topLines?: number) {}

  push(chunk: Buffer): EncodeResult {
    if (this.finished || chunk.length === 0) return { out: Buffer.alloc(0), done: this.finished };
    if (this.topLines === undefined && this.isPassThrough(chunk)) {
      this.noteEnd(chunk);
      return { out: chunk, done: false };
    }
    const parts: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      if (this.atLineStart) {
        // RFC 1939 §3: a line beginning with the termination octet is byte-stuffed.
        if (chunk[start] === DOT) parts.push(DOT_BUF);
        this.atLineStart = false;
        this.lineEmpty = true;
      }
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) {
        const rest = chunk.subarray(start);
        parts.push(rest);
        this.trackPartial(rest);
        break;
      }
      const line = chunk.subarray(start, lf); // without the LF
      const hadCR = line.length > 0 ? line[line.length - 1] === CR : this.prevCR;
      const contentLen = hadCR ? line.length - 1 : line.length;
      const empty = this.lineEmpty && contentLen <= 0;
      if (hadCR) {
        parts.push(chunk.subarray(start, lf + 1));
      } else {
        parts.push(line, CRLF); // bare LF → CRLF
      }
      start = lf + 1;
      this.atLineStart = true;
      this.prevCR = false;
      if (this.topLines !== undefined && this.lineEnded(empty)) {
        this.finished = true;
        return { out: Buffer.concat(parts), done: true };
      }
    }
    return { out: parts.length === 1 ? parts[0]! : Buffer.concat(parts), done: false };
  }

  /** Call after the last chunk: the line break that terminates an unterminated last line, if any. */
  end(): Buffer {
    if (this.finished) return Buffer.alloc(0);
    this.finished = true;
    if (this.atLineStart) return Buffer.alloc(0);
    // A message ending in a lone CR gets the LF that makes it a line break.
    return this.prevCR ? Buffer.from('\n') : CRLF;
  }

  /** Whether the chunk needs no change: no bare LF, no line starting with ".", and no pending line start. */
  private isPassThrough(chunk: Buffer): boolean {
    if (this.atLineStart && chunk[0] === DOT) return false;
    let lf = chunk.indexOf(LF);
    while (lf >= 0) {
      const prev = lf > 0 ? chunk[lf - 1] : this.prevCR ? CR : 0;
      if (prev !== CR) return false;
      if (lf + 1 < chunk.length && chunk[lf + 1] === DOT) return false;
      lf = chunk.indexOf(LF, lf + 1);
    }
    return true;
  }

  private noteEnd(chunk: Buffer): void {
    const last = chunk[chunk.length - 1];
    this.atLineStart = last === LF;
    this.prevCR = last === CR;
  }

  private trackPartial(rest: Buffer): void {
    if (rest.length === 0) return;
    this.prevCR = rest[rest.length - 1] === CR;
    // The line has content unless everything so far is a single trailing CR.
    if (!(rest.length === 1 && rest[0] === CR)) this.lineEmpty = false;
  }

  /** TOP bookkeeping after a complete line; true when output should stop. */
  private lineEnded(empty: boolean): boolean {
    if (this.inHeader) {
      if (!empty) return false;
      this.inHeader = false; // RFC 1939 §7: the blank line separating header and body is sent
      return this.topLines === 0;
    }
    this.bodyLines++;
    return this.bodyLines >= (this.topLines ?? Infinity);
  }
}

const LF_DOT = Buffer.from('\n.');
const TERMINATOR = Buffer.from('.\r\n');

/**
 * RETR fast path: `head` (status line and the already encoded prefix, ending a line; a string is taken as
 * latin1, i.e. ASCII) + `body` dot-stuffed + the multi-line terminator ".CRLF" (RFC 1939 §3), as ONE buffer of
 * exactly that length from `alloc` (default: a new buffer). Only for a body already in canonical form (every LF
 * preceded by CR, and empty or ending with LF: its CRLF size equals its length), where the only change is a "."
 * before each line that starts with "."; found with indexOf, so the cost is one copy.
 */
export function encodeCanonicalReply(
  head: Buffer | string,
  body: Buffer,
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  const dots: number[] = []; // body offsets that get a "." inserted before them
  if (body.length > 0 && body[0] === DOT) dots.push(0);
  for (let i = body.indexOf(LF_DOT); i >= 0; i = body.indexOf(LF_DOT, i + 2)) dots.push(i + 1);
  const out = alloc(head.length + body.length + dots.length + TERMINATOR.length);
  let o = typeof head === 'string' ? out.write(head, 0, 'latin1') : head.copy(out, 0);
  let from = 0;
  for (const at of dots) {
    o += body.copy(out, o, from, at);
    out[o++] = DOT;
    from = at;
  }
  o += body.copy(out, o, from);
  TERMINATOR.copy(out, o);
  return out;
}

/** Counts the octets of a message as the client receives it (CRLF line ends, without stuffing dots). */
export { CrlfSizeCounter as ServedSizeCounter } from '../../mail/crlf-size.js';

/** Served size of a whole in-memory message (prefix + body), for tests and small messages. */
export function servedSize(...parts: Buffer[]): number {
  return crlfSize(...parts);
}
