/**
 * SMTP replies from MailErrors. smtp-server answers a handler error with `err.responseCode` and
 * `err.message`; it would add an enhanced status code of its own guessing (RFC 3463) from the reply code
 * alone, so the message we hand it starts with OUR enhanced code ("5.7.1 Relay access denied") and the
 * connection glue (connection.ts) tells smtp-server not to add another one.
 *
 * Pure; no I/O.
 */

import { MailError } from '../../../lib/errors.js';
import type { SMTPServerError } from 'smtp-server';

/** "X.Y.Z text" at the start of a reply text: our enhanced code is already there. */
export const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

/** The error object smtp-server turns into the reply `<code> <enhanced> <text>`. */
export function toSmtpError(e: MailError): SMTPServerError {
  const err: SMTPServerError = new Error(`${e.enhanced} ${oneLine(e.message)}`);
  err.responseCode = e.code;
  return err;
}

/** Any thrown value as a MailError: MailErrors pass, anything else is the generic 451 4.3.0 (DESIGN.md "Errors"). */
export function asMailError(e: unknown): MailError {
  return e instanceof MailError ? e : new MailError('Temporary local problem, try again later', { cause: e });
}

/** Reply text must stay on one line (smtp-server would also scrub control characters). */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 400);
}

