/**
 * Errors that know mail protocols (DESIGN.md "Errors").
 *
 * `MailError` carries an SMTP reply code, an RFC 3463 enhanced status code and a `temporary` flag; the
 * protocol layers map it to their own replies (SMTP `451 4.3.0`, IMAP `NO [...]`, POP3 `-ERR [...]`).
 * Clients see `message`; the log sees `cause`. Temporary is the default: when in doubt, retry later.
 *
 * `UserError` is a mistake by the admin (bad config, bad CLI argument, duplicate user): one line that names
 * the problem and the fix, printed without a stack, and a non-zero exit.
 */

export interface MailErrorOptions {
  code?: number;
  enhanced?: string;
  temporary?: boolean;
  cause?: unknown;
}

export class MailError extends Error {
  readonly code: number;
  readonly enhanced: string;
  readonly temporary: boolean;

  constructor(message: string, opts: MailErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MailError';
    this.temporary = opts.temporary ?? (opts.code === undefined ? true : opts.code < 500);
    this.code = opts.code ?? (this.temporary ? 451 : 554);
    this.enhanced = opts.enhanced ?? (this.temporary ? '4.3.0' : '5.3.0');
  }
}

/** An error the admin or user must fix; `message` is one line naming the problem and the fix. */
export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** Store-level conflicts and lookups that failed, with a machine-readable kind. */
export type StoreErrorKind =
  | 'not-found'
  | 'exists'
  | 'in-use'
  | 'invalid'
  | 'over-quota'
  | 'conflict';

export class StoreError extends Error {
  readonly kind: StoreErrorKind;
  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.kind = kind;
  }
}

export function isStoreError(e: unknown, kind?: StoreErrorKind): e is StoreError {
  return e instanceof StoreError && (kind === undefined || e.kind === kind);
}
