/**
 * MAIL FROM phase (RFC 5321 §4.1.1.2). smtp-server has already parsed the command, validated SIZE (RFC 1870,
 * 552 5.3.4 over the limit), BODY (RFC 6152), SMTPUTF8 (RFC 6531) and the DSN parameters RET/ENVID (RFC 3461
 * §4.3, §4.4; kept in session.envelope.dsn). Here: the reverse-path is checked as an RFC 5321 Mailbox (or the
 * null path `<>`), UTF-8 in it needs SMTPUTF8, and the mail-from checks run (PTR). On submission the session
 * must be authenticated (530 5.7.0) and the sender owned by the user (553 5.7.1, sender-check.ts). Their `tag` headers are
 * kept for the DATA phase.
 *
 * Returns the sender in wire form ('' for the null sender); throws a MailError to refuse.
 */

import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { MailError } from '../../../lib/errors.js';
import { formatLocalPart, normalizeDomain, parseMailbox } from '../../../mail/address.js';
import { runMailFromChecks } from '../../../pipeline/checks.js';
import type { Envelope } from '../../../pipeline/types.js';
import type { SessionState, SmtpContext } from './context.js';
import { ownedAddressSet, ownsAddress, senderNotOwned } from './sender-check.js';
import { tlsInfo } from './tls.js';

const NON_ASCII = /[\u0080-\uffff]/;

/** A Mailbox in wire form; the domain as an A-label unless SMTPUTF8 was given (smtp-server hands U-labels). */
export function wireAddress(raw: string, smtputf8: boolean): { ok: true; address: string; local: string; domain: string; literal: boolean } | { ok: false; error: string } {
  const parsed = parseMailbox(raw, { smtputf8: true });
  if (!parsed.ok) return parsed;
  const { local, domain, isAddressLiteral } = parsed.mailbox;
  // RFC 6531 §3.4: a UTF-8 mailbox without SMTPUTF8 is refused.
  if (!smtputf8 && NON_ASCII.test(local)) return { ok: false, error: 'non-ASCII address without SMTPUTF8' };
  const d = smtputf8 ? domain : (normalizeDomain(domain) ?? domain);
  return { ok: true, address: `${formatLocalPart(local)}@${d}`, local, domain: d, literal: isAddressLiteral };
}

/** The session facts every phase records on the ClientInfo (EHLO name, TLS). */
export function refreshClient(state: SessionState, session: SMTPServerSession): void {
  state.client.helo = session.hostNameAppearsAs || '';
  const tls = session.secure ? tlsInfo(session.tlsOptions) : undefined;
  if (tls) state.client.tls = tls;
}

export async function handleMailFrom(
  ctx: SmtpContext,
  state: SessionState,
  address: SMTPServerAddress,
  session: SMTPServerSession,
): Promise<string> {
  state.tags = [];
  refreshClient(state, session);
  // RFC 6409 §4.3 / RFC 4954 §6: submission takes mail only from authenticated users (530 5.7.0), whatever
  // the client network (trusted networks relay without AUTH on port 25 only).
  if (ctx.kind === 'submission' && state.auth === null) {
    throw new MailError('Authentication required', { code: 530, enhanced: '5.7.0', temporary: false });
  }
  const smtputf8 = session.envelope.smtpUtf8 === true;
  let sender = '';
  if (address.address !== '') {
    const w = wireAddress(address.address, smtputf8);
    if (!w.ok) {
      // RFC 6531 §3.5 / RFC 3463 X.6.7: UTF-8 address without SMTPUTF8; otherwise X.1.7 bad sender syntax.
      if (w.error.includes('SMTPUTF8')) throw new MailError('Non-ASCII sender address requires SMTPUTF8', { code: 553, enhanced: '5.6.7' });
      throw new MailError('Bad sender address syntax', { code: 501, enhanced: '5.1.7' });
    }
    sender = w.address;
  }
  if (state.auth !== null) {
    // RFC 6409 §6.1: an authenticated user sends only as an address they own (sender-check.ts).
    state.owned = ownedAddressSet(await ctx.deps.directory.addressesOf(state.auth.account));
    if (sender !== '' && !ownsAddress(sender, state.owned, ctx.settings.plusSeparator)) {
      state.log.info({ sender, login: state.auth.login }, 'sender not owned by the authenticated user');
      throw senderNotOwned(sender, state.auth.login);
    }
  }
  const draft: Envelope = {
    sender,
    recipients: [],
    smtputf8,
    body: session.envelope.bodyType === '8bitmime' ? '8BITMIME' : '7BIT',
    client: state.client,
    receivedVia: ctx.kind,
  };
  const outcome = await runMailFromChecks(ctx.checks, state.client, sender, draft);
  if (outcome.kind === 'reject') {
    state.log.info({ check: outcome.check, sender, reply: outcome.error.code }, 'sender refused by check');
    throw outcome.error;
  }
  state.tags = outcome.headers;
  state.sender = sender;
  return sender;
}
