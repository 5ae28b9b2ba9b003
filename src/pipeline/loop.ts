/**
 * Mail loop detection, qmail's rule plus hop counting:
 * - a message that already carries `Delivered-To: <recipient>` has been delivered to this recipient before
 *   and came back (a forwarding loop): reject it for that recipient;
 * - RFC 5321 §6.3: more than `maxReceived` Received fields means a loop between relays.
 * Both give 554 5.4.6 (RFC 3463 §3.5 X.4.6 "Routing loop detected"), permanent.
 *
 * Pure; reads only the top-level header block (mail/headers.ts scans it without copying).
 */

import { MailError } from '../lib/errors.js';
import { countHeader, hasHeaderValue } from '../mail/headers.js';

function loopError(): MailError {
  return new MailError('Mail loop detected', { code: 554, enhanced: '5.4.6', temporary: false });
}

/** Counts Received fields of the top-level header block; a MailError when there are more than maxReceived. */
export function checkHopCount(message: Buffer, maxReceived: number): MailError | null {
  return countHeader(message, 'Received') > maxReceived ? loopError() : null;
}

/**
 * qmail's rule for one local recipient plus the hop count; null when the message may be delivered.
 * `message` is the raw message or just its header block; `recipient` is the normalised final address
 * (what this server writes in Delivered-To).
 */
export function detectLoop(message: Buffer, recipient: string, maxReceived: number): MailError | null {
  if (hasHeaderValue(message, 'Delivered-To', recipient)) return loopError();
  return checkHopCount(message, maxReceived);
}
