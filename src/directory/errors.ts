/**
 * The temporary failures of a directory whose backing service cannot answer (LDAP unreachable or stalled,
 * /etc/shadow unreadable). They are MailErrors, so every protocol maps them without knowing directories:
 * SMTP AUTH 454 4.7.0 (RFC 4954 §6), RCPT 451 4.4.3 (RFC 3463 X.4.3 directory server failure), IMAP
 * NO [UNAVAILABLE] (RFC 5530), POP3 -ERR [SYS/TEMP] (RFC 3206).
 *
 * The client-facing text is generic; the cause (host, error) goes to the log only.
 */

import { MailError } from '../lib/errors.js';

/** For authenticate(): RFC 4954 §6 "454 4.7.0 Temporary authentication failure". */
export function authUnavailable(cause: unknown): MailError {
  return new MailError('Temporary authentication failure', { code: 454, enhanced: '4.7.0', temporary: true, cause });
}

/** For resolveRecipient(): RFC 3463 X.4.3 "Directory server failure". */
export function lookupUnavailable(cause: unknown): MailError {
  return new MailError('Directory temporarily unavailable, try again later', { code: 451, enhanced: '4.4.3', temporary: true, cause });
}

/** Thrown inside sources; the directory rewraps it with authUnavailable or lookupUnavailable. */
export class SourceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceUnavailableError';
  }
}
