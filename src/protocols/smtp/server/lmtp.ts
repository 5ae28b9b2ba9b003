/**
 * LMTP (RFC 2033): after DATA, one reply per accepted RCPT, in RCPT order (§4.2), so an MTA handing mail to
 * pochta learns which recipients got it. smtp-server sends one line per element of the array we return:
 * a string is a 250 reply, an Error a failure with its responseCode.
 *
 * Pure.
 */

import type { SMTPServerDataResult } from 'smtp-server';
import type { RecipientOutcome } from '../../../pipeline/deliver.js';
import { toSmtpError } from './replies.js';

export function lmtpReplies(id: string, outcomes: readonly RecipientOutcome[]): SMTPServerDataResult[] {
  return outcomes.map((o) => (o.error === null ? `Ok: delivered to <${o.recipient.address}> as ${id}` : toSmtpError(o.error)));
}
