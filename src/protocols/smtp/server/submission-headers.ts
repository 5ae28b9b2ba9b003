/**
 * Message fixes and checks a submission server (MSA) makes at the end of DATA (RFC 6409 §8), before the trace
 * header and any DKIM signature are added:
 *   - the From: header field must name only addresses the authenticated user owns (sender-check.ts), else
 *     553 5.7.1; a message without From: gets `From: <envelope sender>` (RFC 5322 §3.6 requires one; Postfix's
 *     cleanup does the same), and a message without From: and with the null sender is refused (550 5.6.0);
 *   - a missing Date: is added with the time of submission (RFC 6409 §8.3, RFC 5322 §3.6.1);
 *   - a missing Message-ID: is added as `<random@hostname>` (RFC 6409 §8.3, RFC 5322 §3.6.4).
 * New fields go on top of the header block (field order carries no meaning for these, RFC 5322 §3.6).
 *
 * Pure apart from the random id (CSPRNG).
 */

import { randomBytes } from 'node:crypto';
import { MailError } from '../../../lib/errors.js';
import { formatRfc5322Date, getHeader, parseHeaderBlock } from '../../../mail/headers.js';
import { checkFromHeader, senderNotOwned } from './sender-check.js';

export interface SubmissionFacts {
  /** Envelope sender in wire form ('' for `<>`). */
  sender: string;
  login: string;
  owned: ReadonlySet<string>;
  plusSeparator: string;
  hostname: string;
  now: Date;
}

export type SubmissionResult = { ok: true; data: Buffer; added: string[]; fromDomain: string | null } | { ok: false; error: MailError };

/** A Message-ID left-hand side: 128 random bits, base-36 plus a time part (RFC 5322 §3.6.4 id-left = dot-atom-text). */
export function newMessageId(hostname: string, now: Date = new Date()): string {
  const rand = BigInt(`0x${randomBytes(16).toString('hex')}`).toString(36);
  return `<${now.getTime().toString(36)}.${rand}@${hostname}>`;
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at < 0 ? null : address.slice(at + 1).toLowerCase();
}

export function prepareSubmission(data: Buffer, f: SubmissionFacts): SubmissionResult {
  const fields = parseHeaderBlock(data);
  const added: string[] = [];
  let fromDomain: string | null;
  const verdict = checkFromHeader(data, f.owned, f.plusSeparator);
  switch (verdict.kind) {
    case 'not-owned':
      return { ok: false, error: senderNotOwned(verdict.address, f.login) };
    case 'unparsable':
      // RFC 3463 X.6.0: other or undefined media error (the message itself is wrong).
      return { ok: false, error: new MailError('From: header has no valid address', { code: 550, enhanced: '5.6.0', temporary: false }) };
    case 'missing':
      if (f.sender === '') return { ok: false, error: new MailError('Message has no From: header', { code: 550, enhanced: '5.6.0', temporary: false }) };
      added.push(`From: <${f.sender}>\r\n`);
      fromDomain = domainOf(f.sender);
      break;
    case 'ok':
      fromDomain = domainOf(verdict.addresses[0] as string);
      break;
  }
  if (getHeader(fields, 'Date') === null) added.push(`Date: ${formatRfc5322Date(f.now)}\r\n`);
  if (getHeader(fields, 'Message-ID') === null) added.push(`Message-ID: ${newMessageId(f.hostname, f.now)}\r\n`);
  if (added.length === 0) return { ok: true, data, added, fromDomain };
  return { ok: true, data: Buffer.concat([Buffer.from(added.join(''), 'utf8'), data]), added, fromDomain };
}
