/**
 * ParseError: the one error type thrown by the pure IMAP protocol layer (tokenizer, parser, sequence sets,
 * dates, mailbox names). The session turns it into a reply: `status` says which (`BAD` for syntax, `NO` for
 * a well-formed request the server refuses, e.g. an unsupported charset), `code` is the optional response
 * code (without brackets) and `message` is a short human text safe to show the client.
 * Invariant: nothing in proto/ throws anything else on malformed input.
 */

export type ParseErrorKind =
  | 'syntax'
  | 'unknown-command'
  | 'bad-charset'
  | 'too-deep'
  | 'invalid-number'
  | 'invalid-sequence-set'
  | 'invalid-date'
  | 'invalid-mailbox'
  | 'invalid-mutf7'
  | 'invalid-utf8';

export class ParseError extends Error {
  readonly kind: ParseErrorKind;
  /** Which tagged status the session should answer with. */
  readonly status: 'BAD' | 'NO';
  /** Response code without brackets, e.g. `BADCHARSET (UTF-8 US-ASCII)`, or null. */
  readonly code: string | null;
  /** The command's tag when it was read before the error, so the session can answer `tag BAD ...`. */
  tag: string | null = null;

  constructor(kind: ParseErrorKind, message: string, opts: { status?: 'BAD' | 'NO'; code?: string | null } = {}) {
    super(message);
    this.name = 'ParseError';
    this.kind = kind;
    this.status = opts.status ?? 'BAD';
    this.code = opts.code ?? null;
  }
}

export function isParseError(e: unknown): e is ParseError {
  return e instanceof ParseError;
}
