/**
 * Every bounce, delay warning and success report pochta makes (DESIGN.md: "Every bounce and delay report is
 * made in one place"): RFC 3464 delivery status notifications, built by hand as MIME.
 *
 * Shape (RFC 3462 / RFC 6522 multipart/report; report-type=delivery-status):
 *   1. text/plain: what happened, for people, with the remote server's reply per recipient;
 *   2. message/delivery-status (RFC 3464 §2): Reporting-MTA, Original-Envelope-Id (ENVID), Arrival-Date,
 *      then per recipient Original-Recipient (ORCPT), Final-Recipient, Action, Status, Remote-MTA,
 *      Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until;
 *   3. the original: message/rfc822 (RET=FULL, our default, as Postfix) or text/rfc822-headers (RET=HDRS).
 * With a non-ASCII address the RFC 6533 types are used (utf-8 address type, message/global-delivery-status,
 * message/global).
 *
 * Also here: which recipients a DSN is due for under RFC 3461 §4.1 NOTIFY (absent → FAILURE,DELAY).
 * Pure functions; no I/O.
 */

import { randomBytes } from 'node:crypto';
import { formatRfc5322Date, scanHeaderBlock } from '../mail/headers.js';
import type { DsnNotify } from '../store/types.js';

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
export type DsnKind = 'failure' | 'delay' | 'success';

export interface DsnRecipient {
  /** Final recipient address. */
  address: string;
  /** RFC 3461 ORCPT as "type;address", or null. */
  orcpt: string | null;
  action: DsnAction;
  /** RFC 3463 status "x.y.z". */
  status: string;
  /** Host of the server that answered, when one did. */
  remoteMta: string | null;
  /** The reply or local diagnosis. */
  diagnostic: string | null;
  /** True when `diagnostic` is an SMTP reply (Diagnostic-Code: smtp). */
  diagnosticIsSmtp: boolean;
  lastAttempt?: Date | null;
  /** For `delayed`: when we give up. */
  willRetryUntil?: Date | null;
}

export interface DsnInput {
  /** Our host name (server.hostname): Reporting-MTA and the From/Message-ID domain. */
  reportingMta: string;
  /** Envelope sender of the original message: the DSN's To. */
  originalSender: string;
  envid: string | null;
  arrivalDate: Date;
  recipients: DsnRecipient[];
  /** The original message as queued. */
  original: Buffer;
  /** RET from MAIL FROM; null → FULL. */
  ret: 'FULL' | 'HDRS' | null;
  /** Date of the report (default now). */
  date?: Date;
}

export interface BuiltDsn {
  message: Buffer;
  /** The DSN has 8-bit content (the original did): send with BODY=8BITMIME. */
  eightBit: boolean;
  /** An address or the original needs SMTPUTF8. */
  smtputf8: boolean;
}

/** RFC 3461 §4.1: NOTIFY absent means "FAILURE,DELAY" (the implementation's choice; we follow Postfix). */
export function notifyAllows(notify: readonly DsnNotify[] | null, kind: DsnKind): boolean {
  const list = notify === null || notify.length === 0 ? (['FAILURE', 'DELAY'] as const) : notify;
  if (list.includes('NEVER')) return false;
  return list.includes(kind === 'failure' ? 'FAILURE' : kind === 'delay' ? 'DELAY' : 'SUCCESS');
}

const NON_ASCII = /[^\p{ASCII}]/u;

function hasEightBit(b: Buffer): boolean {
  for (const c of b) if (c >= 0x80) return true;
  return false;
}

/** One header/field line: no CR/LF, at most ~900 octets (RFC 5322 §2.1.1 limit is 998). */
function oneLine(s: string, max = 900): string {
  const t = s.replace(/\s*[\r\n]+\s*/g, ' ').replace(/\p{Cc}/gu, '').trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

/** "rfc822;addr" → [type, addr]; a value without a type is rfc822. */
function splitTyped(v: string): [string, string] {
  const i = v.indexOf(';');
  return i < 0 ? ['rfc822', v.trim()] : [v.slice(0, i).trim(), v.slice(i + 1).trim()];
}

function addressType(addr: string): string {
  // RFC 6533 §3: the utf-8 address type for internationalized addresses.
  return NON_ASCII.test(addr) ? 'utf-8' : 'rfc822';
}

function subjectFor(kind: DsnKind): string {
  if (kind === 'failure') return 'Undelivered Mail Returned to Sender';
  if (kind === 'delay') return 'Delayed Mail (still being retried)';
  return 'Successful Mail Delivery Report';
}

function kindOf(recipients: readonly DsnRecipient[]): DsnKind {
  if (recipients.some((r) => r.action === 'failed')) return 'failure';
  if (recipients.some((r) => r.action === 'delayed')) return 'delay';
  return 'success';
}

function humanText(input: DsnInput, kind: DsnKind): string {
  const lines: string[] = [`This is the mail system at host ${input.reportingMta}.`, ''];
  if (kind === 'failure') {
    lines.push(
      "I'm sorry to have to inform you that your message could not",
      'be delivered to one or more recipients. It is attached below.',
    );
  } else if (kind === 'delay') {
    lines.push(
      '####################################################################',
      '# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #',
      '####################################################################',
      '',
      'Your message could not be delivered for some time. The mail system',
      'will keep trying; you will be told if it finally gives up.',
    );
  } else {
    lines.push('Your message was successfully delivered to the destination(s) listed below.');
  }
  lines.push('');
  for (const r of input.recipients) {
    const what = r.action === 'failed' ? 'failed' : r.action === 'delayed' ? 'delayed' : r.action;
    lines.push(`<${r.address}>: ${what}`);
    if (r.diagnostic) {
      const via = r.remoteMta ? `host ${r.remoteMta} said: ` : '';
      lines.push(`    ${via}${oneLine(r.diagnostic, 2000)}`);
    }
  }
  return lines.join('\r\n') + '\r\n';
}

function statusFields(input: DsnInput, utf8: boolean): string {
  // RFC 3464 §2.2: per-message fields, a blank line, then one block per recipient (§2.3).
  const msg: string[] = [`Reporting-MTA: dns; ${input.reportingMta}`];
  if (input.envid) msg.push(`Original-Envelope-Id: ${oneLine(input.envid, 100)}`);
  msg.push(`Arrival-Date: ${formatRfc5322Date(input.arrivalDate)}`);
  const blocks = input.recipients.map((r) => {
    const f: string[] = [];
    if (r.orcpt) {
      const [type, addr] = splitTyped(r.orcpt);
      f.push(`Original-Recipient: ${type}; ${oneLine(addr, 300)}`);
    }
    f.push(`Final-Recipient: ${utf8 ? addressType(r.address) : 'rfc822'}; ${oneLine(r.address, 300)}`);
    f.push(`Action: ${r.action}`);
    f.push(`Status: ${r.status}`);
    if (r.remoteMta) f.push(`Remote-MTA: dns; ${oneLine(r.remoteMta, 255)}`);
    if (r.diagnostic) {
      // RFC 3464 §2.3.6: diagnostic-type "smtp" for an SMTP reply; an X- type for our own diagnosis.
      f.push(`Diagnostic-Code: ${r.diagnosticIsSmtp ? 'smtp' : 'X-Pochta'}; ${oneLine(r.diagnostic)}`);
    }
    if (r.lastAttempt) f.push(`Last-Attempt-Date: ${formatRfc5322Date(r.lastAttempt)}`);
    if (r.willRetryUntil && r.action === 'delayed') f.push(`Will-Retry-Until: ${formatRfc5322Date(r.willRetryUntil)}`);
    return f.join('\r\n') + '\r\n';
  });
  return [msg.join('\r\n') + '\r\n', ...blocks].join('\r\n');
}

/** Builds the DSN message (complete with headers) for one original message and some of its recipients. */
export function buildDsn(input: DsnInput): BuiltDsn {
  if (input.recipients.length === 0) throw new Error('a DSN needs at least one recipient');
  const kind = kindOf(input.recipients);
  const date = input.date ?? new Date();
  const boundary = `${randomBytes(9).toString('base64url')}/${input.reportingMta}`;
  const utf8 =
    NON_ASCII.test(input.originalSender) || input.recipients.some((r) => NON_ASCII.test(r.address) || NON_ASCII.test(r.orcpt ?? ''));
  const ret = input.ret ?? 'FULL';
  const headerEnd = scanHeaderBlock(input.original).headerEnd;
  const original = ret === 'HDRS' ? input.original.subarray(0, headerEnd) : input.original;
  const originalEightBit = hasEightBit(original);
  const text = humanText(input, kind);
  const textEightBit = NON_ASCII.test(text);

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`,
    `To: <${input.originalSender.replace(/[\r\n<>]/g, '')}>`,
    `Subject: ${subjectFor(kind)}`,
    `Date: ${formatRfc5322Date(date)}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${input.reportingMta}>`,
    // RFC 3834 §5: a machine-made report; auto-responders must not answer it.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    `Content-Transfer-Encoding: ${originalEightBit || textEightBit ? '8bit' : '7bit'}`,
  ].join('\r\n');

  const parts: Buffer[] = [
    Buffer.from(`${head}\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n`),
    Buffer.from(
      `--${boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=${textEightBit ? 'utf-8' : 'us-ascii'}\r\n` +
        `${textEightBit ? 'Content-Transfer-Encoding: 8bit\r\n' : ''}\r\n${text}\r\n`,
    ),
    Buffer.from(
      `--${boundary}\r\nContent-Description: Delivery report\r\n` +
        `Content-Type: ${utf8 ? 'message/global-delivery-status' : 'message/delivery-status'}\r\n` +
        `${utf8 ? 'Content-Transfer-Encoding: 8bit\r\n' : ''}\r\n${statusFields(input, utf8)}\r\n`,
    ),
  ];
  const cte = originalEightBit ? 'Content-Transfer-Encoding: 8bit\r\n' : '';
  if (ret === 'HDRS') {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n${cte}\r\n`));
  } else {
    const type = utf8 && originalEightBit ? 'message/global' : 'message/rfc822';
    parts.push(Buffer.from(`--${boundary}\r\nContent-Description: ${kind === 'success' ? 'Delivered' : 'Undelivered'} Message\r\nContent-Type: ${type}\r\n${cte}\r\n`));
  }
  parts.push(original);
  const endsWithNewline = original.length > 0 && original[original.length - 1] === 0x0a;
  parts.push(Buffer.from(`${endsWithNewline ? '' : '\r\n'}\r\n--${boundary}--\r\n`));
  return { message: Buffer.concat(parts), eightBit: originalEightBit || textEightBit || utf8, smtputf8: utf8 };
}
