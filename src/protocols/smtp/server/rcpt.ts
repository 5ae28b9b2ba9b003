/**
 * RCPT TO phase (RFC 5321 §4.1.1.3), in this order:
 *   1. `postmaster` without a domain is postmaster@<primary domain> (the first domain of the store) and is
 *      always accepted (RFC 5321 §4.5.1), whatever the relay rules;
 *   2. the address must be a valid Mailbox (501 5.1.3); UTF-8 needs SMTPUTF8 (553 5.6.7);
 *   3. routing in the local part (percent hack, bang path, a quoted "u@host") is refused for everybody
 *      (554 5.7.1): we do not route on local parts (RFC 5321 §3.6.1, Appendix C). Source routes were already
 *      dropped by smtp-server (RFC 5321 §4.1.2 says to ignore them), so the real domain decides;
 *   4. a domain we do not serve (address literals included) is relaying: allowed only to authenticated
 *      sessions, trusted networks and POP-before-SMTP grants (pipeline/relay.ts, 554 5.7.1 otherwise). LMTP never relays (RFC 2033
 *      §1: final delivery) and refuses it with 550 5.1.2;
 *   5. a served domain resolves through the directory (aliases, plus-addressing, catch-all): unknown 550 5.1.1,
 *      disabled 550 5.2.1, alias loop 554 5.4.6; when every local target is already over its quota,
 *      452 4.2.2 or 552 5.2.2 (config over_quota).
 * The recipient-phase checks run last. Returns the envelope recipient (DSN NOTIFY/ORCPT kept, RFC 3461 §4);
 * throws a MailError to refuse.
 */

import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { AbuseGuard } from '../../../antispam/abuse-guard.js';
import { MailError } from '../../../lib/errors.js';
import { localPartRoutingTrick } from '../../../mail/address.js';
import { resolutionError } from '../../../pipeline/deliver.js';
import { quotaError } from '../../../pipeline/local-delivery.js';
import { runRcptChecks } from '../../../pipeline/checks.js';
import { relayDecision } from '../../../pipeline/relay.js';
import type { Envelope, EnvelopeRecipient } from '../../../pipeline/types.js';
import type { DsnNotify } from '../../../store/types.js';
import type { SessionState, SmtpContext } from './context.js';
import { refreshClient, wireAddress } from './mail-from.js';

const NOTIFY_VALUES: readonly string[] = ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'];

function dsnOf(address: SMTPServerAddress): Pick<EnvelopeRecipient, 'notify' | 'orcpt'> {
  const notify = address.dsn?.notify?.map((n) => n.toUpperCase()).filter((n): n is DsnNotify => NOTIFY_VALUES.includes(n));
  return { notify: notify && notify.length > 0 ? notify : null, orcpt: address.dsn?.orcpt ?? null };
}

async function primaryDomain(ctx: SmtpContext): Promise<string | null> {
  const domains = await ctx.deps.store.listDomains();
  return domains[0]?.name ?? null;
}

export async function handleRcptTo(
  ctx: SmtpContext,
  state: SessionState,
  address: SMTPServerAddress,
  session: SMTPServerSession,
): Promise<EnvelopeRecipient> {
  refreshClient(state, session);
  const smtputf8 = session.envelope.smtpUtf8 === true;
  const dsn = dsnOf(address);

  // RFC 5321 §4.1.1.3: the domainless "postmaster" is accepted without a domain, case-insensitively.
  if (address.address.toLowerCase() === 'postmaster') {
    const domain = await primaryDomain(ctx);
    if (domain === null) throw new MailError('No such user here', { code: 550, enhanced: '5.1.1', temporary: false });
    return { address: `postmaster@${domain}`, ...dsn };
  }

  const w = wireAddress(address.address, smtputf8);
  if (!w.ok) {
    if (w.error.includes('SMTPUTF8')) throw new MailError('Non-ASCII recipient address requires SMTPUTF8', { code: 553, enhanced: '5.6.7' });
    throw new MailError('Bad recipient address syntax', { code: 501, enhanced: '5.1.3' });
  }
  const rcpt: EnvelopeRecipient = { address: w.address, ...dsn };

  // RFC 3463 X.7.1: delivery not authorized. Postfix answers tricks from untrusted clients the same way.
  if (localPartRoutingTrick(w.local) !== null) {
    throw new MailError('Relay access denied', { code: 554, enhanced: '5.7.1', temporary: false });
  }

  const local = !w.literal && (await ctx.deps.directory.isLocalDomain(w.domain));
  if (!local) {
    if (ctx.kind === 'lmtp') {
      // RFC 3463 X.1.2: bad destination system address (not one of ours).
      throw new MailError('Not a local domain', { code: 550, enhanced: '5.1.2', temporary: false });
    }
    const decision = relayDecision({
      recipientDomainIsLocal: false,
      authenticated: Boolean(session.user),
      trusted: ctx.settings.trusted.has(state.client.ip),
      popBeforeSmtp: ctx.settings.popBeforeSmtp && ctx.deps.popBeforeSmtp.isAllowed(state.client.ip),
    });
    if (!decision.allowed) {
      state.log.info({ rcpt: w.address, client: state.client.ip }, 'relay denied');
      throw decision.error;
    }
  } else {
    const res = await ctx.deps.directory.resolveRecipient(w.address, { plusSeparator: ctx.settings.plusSeparator });
    const error = resolutionError(res);
    if (error !== null) {
      // A dictionary attack (antispam/abuse-guard.ts): too many unknown recipients ban the client IP.
      const guard = res.kind === 'unknown' ? ctx.checks.find((c): c is AbuseGuard => c instanceof AbuseGuard) : undefined;
      if (guard !== undefined && (await guard.unknownRecipient(state.client).catch(() => false))) {
        state.log.warn({ client: state.client.ip }, 'client banned: too many unknown recipients');
      }
      throw error;
    }
    if (res.kind === 'local' && res.remote.length === 0 && res.targets.length > 0) {
      let full = 0;
      for (const t of res.targets) {
        if (t.account.quotaBytes > 0 && (await ctx.deps.store.getUsage(t.account.id)).bytes >= t.account.quotaBytes) full++;
      }
      if (full === res.targets.length) throw quotaError(ctx.settings.overQuota);
    }
  }

  const draft: Envelope = {
    sender: state.sender,
    recipients: [],
    smtputf8,
    body: session.envelope.bodyType === '8bitmime' ? '8BITMIME' : '7BIT',
    client: state.client,
    receivedVia: ctx.kind,
  };
  const outcome = await runRcptChecks(ctx.checks, rcpt, draft);
  if (outcome.kind === 'reject') throw outcome.error;
  state.tags.push(...outcome.headers);
  return rcpt;
}
