/**
 * Maps store errors to tagged IMAP replies with RFC 5530 response codes. Anything that is not a
 * StoreError is the caller's problem (the session turns it into NO [SERVERBUG]); a temporary directory
 * failure (MailError 454 or 451 4.4.3, directory/errors.ts) is NO [UNAVAILABLE].
 */

import { isStoreError, MailError } from '../../../lib/errors.js';
import { isParseError } from '../proto/index.js';
import { bad, no, type CommandResult } from './command.js';

export function storeErrorResult(e: unknown): CommandResult | null {
  if (isParseError(e)) return e.status === 'NO' ? no(e.message, e.code) : bad(e.message, e.code);
  // RFC 5530 §3 UNAVAILABLE: a subsystem is down (the directory's LDAP server); the client may retry later.
  if (e instanceof MailError && e.temporary && (e.code === 454 || e.enhanced === '4.4.3')) return no(e.message, 'UNAVAILABLE');
  if (!isStoreError(e)) return null;
  switch (e.kind) {
    case 'not-found':
      return no(e.message, 'NONEXISTENT');
    case 'exists':
      return no(e.message, 'ALREADYEXISTS');
    case 'in-use':
      return no(e.message, 'INUSE');
    case 'over-quota':
      return no(e.message, 'OVERQUOTA');
    case 'invalid':
      return no(e.message, 'CANNOT');
    case 'conflict':
      return no(e.message, 'INUSE');
  }
}
