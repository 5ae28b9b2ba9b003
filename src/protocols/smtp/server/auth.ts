/**
 * SMTP AUTH (RFC 4954) for submission listeners, on smtp-server's PLAIN (RFC 4616) and LOGIN mechanisms; the
 * credentials go to `directory.authenticate` through the shared failed-login throttle (directory/login-throttle.ts).
 *
 * Rules:
 *   - AUTH is offered and accepted only on a TLS connection (RFC 8314 §3, RFC 4954 §4 "SHOULD NOT ... unless a
 *     confidentiality protection"), unless the listener sets allow_plaintext_auth. Before TLS the EHLO reply
 *     does not list AUTH (connection.ts drops the line) and AUTH gets 538 5.7.11 (RFC 4954 §6).
 *   - PLAIN with an authorization identity different from the authentication identity is refused: pochta
 *     has no proxy authorization (RFC 4616 §2).
 *   - A banned IP gets 454 4.7.0 without a password check; failures wait the throttle's delay and then get
 *     535 5.7.8 (RFC 4954 §6). The password is never logged.
 * The throttle is the server's one (deps.throttle), shared by the 587 and 465 listeners, POP3 and IMAP.
 *
 * Side effects: directory reads; timers for the delay; throttle bookkeeping.
 */

import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { MailError } from '../../../lib/errors.js';
import type { Account } from '../../../store/types.js';
import type { SessionState, SmtpContext } from './context.js';

/** True when this session may use password AUTH now. */
export function authAllowedNow(ctx: SmtpContext, secure: boolean): boolean {
  return secure || ctx.listener.allow_plaintext_auth;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

function invalid(): MailError {
  return new MailError('Authentication credentials invalid', { code: 535, enhanced: '5.7.8', temporary: false });
}

/** Verifies one AUTH attempt; resolves to the account or throws the MailError to answer. */
export async function handleAuth(
  ctx: SmtpContext,
  state: SessionState,
  auth: SMTPServerAuthentication,
  session: SMTPServerSession,
): Promise<Account> {
  if (!authAllowedNow(ctx, session.secure)) {
    // RFC 4954 §6: 538 5.7.11 Encryption required for requested authentication mechanism.
    throw new MailError('Must issue a STARTTLS command first', { code: 538, enhanced: '5.7.11', temporary: false });
  }
  if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') {
    throw new MailError('Unrecognized authentication type', { code: 504, enhanced: '5.5.4', temporary: false });
  }
  const login = (auth.username ?? '').trim();
  const password = auth.password ?? '';
  const ip = state.client.ip;
  if (auth.method === 'PLAIN' && auth.authzid && auth.authcid && auth.authzid.toLowerCase() !== auth.authcid.toLowerCase()) {
    state.log.info({ login, authzid: auth.authzid }, 'AUTH refused: proxy authorization not supported');
    throw invalid();
  }
  const throttle = ctx.deps.throttle;
  const verdict = throttle.check(ip, login);
  if (verdict.banned) {
    state.log.info({ login }, 'AUTH refused: client IP banned after repeated failures');
    // RFC 4954 §6: 454 4.7.0 Temporary authentication failure.
    throw new MailError('Temporary authentication failure', { code: 454, enhanced: '4.7.0' });
  }
  if (verdict.delayMs > 0) await sleep(verdict.delayMs);
  const account = login === '' ? null : await ctx.deps.directory.authenticate(login, password, { protocol: 'submission', remoteIp: ip });
  if (account === null) {
    throttle.recordFailure(ip, login);
    state.log.info({ login, method: auth.method }, 'AUTH failed');
    throw invalid();
  }
  throttle.recordSuccess(ip, login);
  state.log.info({ login, account: account.address, method: auth.method }, 'authenticated');
  return account;
}
