/**
 * The Received header this server prepends (RFC 5321 §4.4), with the "with" protocol of RFC 3848 / RFC 6531
 * §4.3 (ESMTP, ESMTPS, ESMTPSA, UTF8SMTPS, LMTP, ...) and, when TLS is in use, its version and cipher as a
 * comment (RFC 8314 §4.3 asks that TLS use be recorded in the trace fields).
 *
 * Pure.
 */

import { buildReceivedHeader, type ReceivedProtocol } from '../../../mail/headers.js';
import type { ClientInfo } from '../../../pipeline/types.js';
import type { SmtpKind } from './context.js';

export interface TraceFacts {
  kind: SmtpKind;
  /** HELO gives SMTP; EHLO and LHLO give ESMTP / LMTP. */
  extended: boolean;
  secure: boolean;
  authenticated: boolean;
  smtputf8: boolean;
}

export function receivedProtocol(f: TraceFacts): ReceivedProtocol {
  const base = f.kind === 'lmtp' ? 'LMTP' : f.extended || f.secure || f.authenticated || f.smtputf8 ? 'ESMTP' : 'SMTP';
  if (base === 'SMTP') return 'SMTP';
  const suffix = `${f.secure ? 'S' : ''}${f.authenticated ? 'A' : ''}`;
  // RFC 6531 §4.3: UTF8SMTP replaces ESMTP, UTF8LMTP replaces LMTP.
  const name = f.smtputf8 ? `UTF8${base === 'ESMTP' ? 'SMTP' : 'LMTP'}${suffix}` : `${base}${suffix}`;
  return name as ReceivedProtocol;
}

export interface ReceivedFacts extends TraceFacts {
  client: ClientInfo;
  /** The AUTH login of the session (RFC 3848 ESMTPA), shown as a comment; never the password. */
  authenticatedAs?: string | null;
  hostname: string;
  id: string;
  /** The only recipient, if there is exactly one (RFC 5321 §4.4 and §7.6 advise against listing several). */
  recipient: string | null;
  date: Date;
}

export function receivedHeader(f: ReceivedFacts): string {
  // A unix-socket LMTP client has no IP address: it is this host.
  const unix = f.client.ip === '';
  return buildReceivedHeader({
    from: f.client.helo || 'unknown',
    fromIp: unix ? '127.0.0.1' : f.client.ip,
    ptrName: unix ? 'localhost' : (f.client.ptrName ?? null),
    by: f.hostname,
    with: receivedProtocol(f),
    tls: f.client.tls ?? null,
    authenticatedSender: f.authenticatedAs ?? null,
    id: f.id,
    for: f.recipient,
    date: f.date,
  });
}
