/**
 * Builds the IMAP ENVELOPE (RFC 3501 §7.4.2, RFC 9051 §7.5.2) from a message's top-level header values.
 *
 * Values are raw: unfolded and trimmed, encoded-words kept. A missing or empty header gives null, except that
 * Sender and Reply-To default to From when absent or empty, as both RFCs require. The first occurrence of a
 * repeated header wins. Pure.
 */

import { parseAddressList } from './address-list.js';
import type { Envelope } from './structure.js';

/** Lower-cased names of the header fields the envelope reads. */
export const ENVELOPE_FIELDS = [
  'date',
  'subject',
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'in-reply-to',
  'message-id',
] as const;

export type EnvelopeFieldName = (typeof ENVELOPE_FIELDS)[number];

function str(v: string | undefined): string | null {
  return v === undefined || v === '' ? null : v;
}

/** `values` maps lower-cased field names to their first unfolded value. */
export function buildEnvelope(values: ReadonlyMap<string, string>): Envelope {
  const from = parseAddressList(values.get('from') ?? null);
  const sender = parseAddressList(values.get('sender') ?? null);
  const replyTo = parseAddressList(values.get('reply-to') ?? null);
  return {
    date: str(values.get('date')),
    subject: str(values.get('subject')),
    from,
    // RFC 3501 §7.4.2: Sender / Reply-To absent or empty → the same value as From.
    sender: sender ?? from,
    replyTo: replyTo ?? from,
    to: parseAddressList(values.get('to') ?? null),
    cc: parseAddressList(values.get('cc') ?? null),
    bcc: parseAddressList(values.get('bcc') ?? null),
    inReplyTo: str(values.get('in-reply-to')),
    messageId: str(values.get('message-id')),
  };
}
