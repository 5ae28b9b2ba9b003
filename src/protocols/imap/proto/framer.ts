/**
 * ImapCommandReader: the streaming framer between the socket and the parser. It is fed raw Buffers and
 * yields complete commands (the line or lines with literals inline, final CRLF removed) for `parseCommand`.
 *
 * Literals (RFC 9051 §4.3, RFC 7888, RFC 3516):
 * - `{n}` synchronising: the reader stops with a `continuation` event; the session either calls
 *   `continueLiteral()` and sends `+ OK`, or `refuseLiteral()` and answers the tag with NO/BAD (the client
 *   then abandons the command and sends no literal data).
 * - `{n+}` (LITERAL+) and `{n-}` (LITERAL-, n ≤ 4096) are read without a continuation.
 * - `~{n}` literal8 is framed the same way (the parser enforces where it is allowed).
 *
 * Limits: non-literal bytes per command (`maxLineLength`), bytes per literal (`maxLiteralSize`), literals per
 * command (`maxLiterals`). An overflow yields one `error` event naming the limit; the reader then discards the
 * rest of that command (including non-synchronising literal data announced in it) and resynchronises at the
 * next command. A non-synchronising literal too large even to skip (`maxSkipSize`) is `fatal`: the session
 * should answer BAD and close. Memory is bounded by the limits; `push` returns false when unprocessed input
 * piles up (the session should pause the socket until `next()` has drained it).
 * Pure: no I/O.
 */

const LF = 0x0a;
const CR = 0x0d;

export interface ReaderLimits {
  /** Max non-literal bytes in one command (all its lines together). Default 64 KiB. */
  maxLineLength?: number;
  /** Max size of one literal. Default 64 MiB. */
  maxLiteralSize?: number;
  /** Max literals in one command. Default 1000 (MULTIAPPEND sends one per message). */
  maxLiterals?: number;
  /** Max bytes of a refused non-synchronising literal the reader will read and discard. Default 64 MiB. */
  maxSkipSize?: number;
}

export interface FramedCommand {
  /** The tag as far as it could be read (text up to the first SP), or null when it is not a valid tag. */
  tag: string | null;
  /** The whole command without the final CRLF; each literal is `{n}` CRLF data inline. */
  bytes: Buffer;
  literals: number;
}

export type FramerErrorKind = 'line-too-long' | 'literal-too-large' | 'too-many-literals';

export interface FramerError {
  kind: FramerErrorKind;
  /** Text for the client's BAD reply. */
  message: string;
  tag: string | null;
  /** The reader cannot resynchronise: answer BAD and close the connection. */
  fatal: boolean;
}

export type ReaderEvent =
  | { kind: 'command'; command: FramedCommand }
  /** A synchronising literal awaits the session's decision (continueLiteral / refuseLiteral). */
  | { kind: 'continuation'; tag: string | null; size: number; binary: boolean }
  | { kind: 'error'; error: FramerError };

type State =
  | { s: 'line' }
  | { s: 'literal'; remaining: number }
  | { s: 'await'; size: number }
  | { s: 'skip-line' }
  | { s: 'skip-literal'; remaining: number }
  | { s: 'failed' };

/** `[~]{n[+-]}` at the end of a line (RFC 9051 §9 literal, RFC 7888, RFC 3516 literal8). */
const LITERAL_MARKER = /(~?)\{([0-9]{1,20})([+-]?)\}$/;

const TAIL_KEEP = 32;
const TAG_RE = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e]+$/; // ASTRING-CHAR minus "+" (RFC 9051 §9)

export class ImapCommandReader {
  private readonly maxLine: number;
  private readonly maxLiteral: number;
  private readonly maxLiterals: number;
  private readonly maxSkip: number;

  private input: Buffer[] = [];
  private inputOffset = 0;
  private inputBytes = 0;

  private state: State = { s: 'line' };
  /** Pieces of the current command. */
  private parts: Buffer[] = [];
  /** Pieces of the current line (since the last literal). */
  private line: Buffer[] = [];
  private lineBytes = 0;
  private commandLineBytes = 0;
  private literals = 0;
  private tag: string | null = null;
  private skipTail: Buffer = Buffer.alloc(0);
  private failedReported = false;

  constructor(limits: ReaderLimits = {}) {
    this.maxLine = limits.maxLineLength ?? 64 * 1024;
    this.maxLiteral = limits.maxLiteralSize ?? 64 * 1024 * 1024;
    this.maxLiterals = limits.maxLiterals ?? 1000;
    this.maxSkip = limits.maxSkipSize ?? 64 * 1024 * 1024;
  }

  /** Queues socket data. Returns false when the caller should stop reading until `next()` drains the queue. */
  push(chunk: Buffer): boolean {
    if (chunk.length) {
      this.input.push(chunk);
      this.inputBytes += chunk.length;
    }
    return this.inputBytes <= this.maxLine;
  }

  /** Bytes received but not yet framed. */
  get pendingBytes(): number {
    return this.inputBytes;
  }

  /** True once a fatal error was reported: the reader discards everything from then on. */
  get failed(): boolean {
    return this.state.s === 'failed';
  }

  /** True while a synchronising literal waits for continueLiteral/refuseLiteral. */
  get awaitingContinuation(): boolean {
    return this.state.s === 'await';
  }

  /** After a `continuation` event: the session sent `+ ...`; the literal data will follow. */
  continueLiteral(): void {
    if (this.state.s !== 'await') throw new Error('continueLiteral() without a pending literal');
    this.state = { s: 'literal', remaining: this.state.size };
  }

  /** After a `continuation` event: the session answered the tag with NO/BAD; the command is dropped. */
  refuseLiteral(): void {
    if (this.state.s !== 'await') throw new Error('refuseLiteral() without a pending literal');
    this.resetCommand();
    this.state = { s: 'line' };
  }

  /**
   * Drops buffered, unframed input; returns how many bytes were dropped. Call right after STARTTLS (and
   * COMPRESS) is accepted: plaintext pipelined behind it must not be read as if it came over TLS.
   */
  discardBuffered(): number {
    const n = this.inputBytes;
    this.input = [];
    this.inputOffset = 0;
    this.inputBytes = 0;
    return n;
  }

  /** The next event, or null when more input is needed (or a continuation decision is pending). */
  next(): ReaderEvent | null {
    while (
      this.inputBytes > 0 ||
      this.state.s === 'literal' ||
      (this.state.s === 'failed' && !this.failedReported)
    ) {
      const st = this.state;
      switch (st.s) {
        case 'await':
          return null;
        case 'failed':
          this.discardBuffered();
          if (!this.failedReported) {
            this.failedReported = true;
            return this.error('literal-too-large', 'Literal too large to skip', true);
          }
          return null;
        case 'line': {
          const ev = this.readLine();
          if (ev) return ev;
          break;
        }
        case 'literal': {
          if (st.remaining === 0) {
            this.state = { s: 'line' };
            break;
          }
          if (this.inputBytes === 0) return null;
          const piece = this.take(st.remaining);
          this.parts.push(piece);
          st.remaining -= piece.length;
          if (st.remaining === 0) this.state = { s: 'line' };
          break;
        }
        case 'skip-literal': {
          const piece = this.take(st.remaining);
          st.remaining -= piece.length;
          if (st.remaining === 0) this.state = { s: 'skip-line' };
          break;
        }
        case 'skip-line':
          this.skipLine();
          break;
      }
    }
    return null;
  }

  /** Removes up to `max` bytes from the input queue (a view when possible). */
  private take(max: number): Buffer {
    const head = this.input[0]!;
    const avail = head.length - this.inputOffset;
    const n = Math.min(avail, max);
    const piece = head.subarray(this.inputOffset, this.inputOffset + n);
    this.consume(n);
    return piece;
  }

  private consume(n: number): void {
    this.inputOffset += n;
    this.inputBytes -= n;
    if (this.inputOffset >= this.input[0]!.length) {
      this.input.shift();
      this.inputOffset = 0;
    }
  }

  private resetCommand(): void {
    this.parts = [];
    this.line = [];
    this.lineBytes = 0;
    this.commandLineBytes = 0;
    this.literals = 0;
    this.tag = null;
  }

  private error(kind: FramerErrorKind, message: string, fatal = false): { kind: 'error'; error: FramerError } {
    return { kind: 'error', error: { kind, message, tag: this.tag, fatal } };
  }

  /** Reads line bytes from the head buffer; returns an event when the line completes one. */
  private readLine(): ReaderEvent | null {
    const head = this.input[0]!;
    const lf = head.indexOf(LF, this.inputOffset);
    const end = lf < 0 ? head.length : lf;
    const n = end - this.inputOffset;
    if (this.commandLineBytes + this.lineBytes + n > this.maxLine) {
      // Keep the tail so a literal announced at the end of the over-long line can still be skipped.
      const seg = head.subarray(this.inputOffset, end);
      this.learnTagFrom(this.line.length ? Buffer.concat([...this.line, seg]).subarray(0, 80) : seg);
      this.skipTail = Buffer.from(head.subarray(Math.max(this.inputOffset, end - TAIL_KEEP), end));
      this.consume(lf < 0 ? n : n + 1);
      const ev = this.error('line-too-long', 'Command line too long');
      this.resetCommand();
      this.state = { s: 'skip-line' };
      if (lf >= 0) this.afterSkippedLine();
      return ev;
    }
    if (n > 0) {
      this.line.push(head.subarray(this.inputOffset, end));
      this.lineBytes += n;
    }
    if (lf < 0) {
      this.consume(n);
      return null;
    }
    this.consume(n + 1);
    let line = this.line.length === 1 ? this.line[0]! : Buffer.concat(this.line);
    if (line.length && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    this.commandLineBytes += line.length;
    this.line = [];
    this.lineBytes = 0;
    if (this.parts.length === 0) this.learnTagFrom(line);
    this.parts.push(line);
    const marker = LITERAL_MARKER.exec(line.subarray(Math.max(0, line.length - TAIL_KEEP)).toString('latin1'));
    if (!marker) {
      const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
      const command: FramedCommand = { tag: this.tag, bytes, literals: this.literals };
      this.resetCommand();
      return { kind: 'command', command };
    }
    this.parts.push(Buffer.from('\r\n'));
    const size = Number(marker[2]);
    const binary = marker[1] === '~';
    const mode = marker[3];
    this.literals++;
    let problem: { kind: 'error'; error: FramerError } | null = null;
    if (this.literals > this.maxLiterals) problem = this.error('too-many-literals', 'Too many literals in command');
    else if (size > this.maxLiteral) problem = this.error('literal-too-large', `Literal too large (limit ${this.maxLiteral})`);
    else if (mode === '-' && size > 4096) {
      // RFC 7888 §5: LITERAL- allows non-synchronising literals of at most 4096 octets
      problem = this.error('literal-too-large', 'Non-synchronizing literal larger than 4096 octets');
    }
    if (problem) {
      this.resetCommand();
      if (mode === '') {
        // The client waits for a continuation it will not get; the tagged BAD ends the command.
        this.state = { s: 'line' };
      } else if (size > this.maxSkip) {
        problem.error.fatal = true;
        this.state = { s: 'failed' };
        this.failedReported = true;
      } else {
        this.state = size > 0 ? { s: 'skip-literal', remaining: size } : { s: 'skip-line' };
      }
      return problem;
    }
    if (mode === '') {
      this.state = { s: 'await', size };
      return { kind: 'continuation', tag: this.tag, size, binary };
    }
    this.state = { s: 'literal', remaining: size };
    return null;
  }

  /** Discards input up to the end of the line; then skips a non-synchronising literal announced there. */
  private skipLine(): void {
    const head = this.input[0]!;
    const lf = head.indexOf(LF, this.inputOffset);
    const end = lf < 0 ? head.length : lf;
    const seg = head.subarray(this.inputOffset, end);
    this.skipTail =
      seg.length >= TAIL_KEEP
        ? Buffer.from(seg.subarray(seg.length - TAIL_KEEP))
        : Buffer.concat([this.skipTail, seg]).subarray(-TAIL_KEEP);
    this.consume(lf < 0 ? seg.length : seg.length + 1);
    if (lf >= 0) this.afterSkippedLine();
  }

  private afterSkippedLine(): void {
    let tail = this.skipTail;
    this.skipTail = Buffer.alloc(0);
    if (tail.length && tail[tail.length - 1] === CR) tail = tail.subarray(0, tail.length - 1);
    const marker = LITERAL_MARKER.exec(tail.toString('latin1'));
    if (!marker || marker[3] === '') {
      this.state = { s: 'line' };
      return;
    }
    const size = Number(marker[2]);
    if (size > this.maxSkip) {
      this.state = { s: 'failed' };
      return;
    }
    this.state = size > 0 ? { s: 'skip-literal', remaining: size } : { s: 'skip-line' };
  }

  private learnTagFrom(line: Buffer): void {
    if (this.tag !== null || this.parts.length > 0) return;
    const sp = line.indexOf(0x20);
    const t = line.subarray(0, sp < 0 ? Math.min(line.length, 64) : Math.min(sp, 64)).toString('latin1');
    this.tag = TAG_RE.test(t) ? t : null;
  }
}
