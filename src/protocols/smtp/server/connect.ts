/**
 * Connect phase: refuses new sessions while the service shuts down and runs the connect-phase checks
 * (the PTR check starts its lookup here so it overlaps EHLO). Throws a MailError to refuse; smtp-server
 * then sends it instead of the greeting and closes (RFC 5321 §3.1: a 554 or 421 greeting).
 */

import { MailError } from '../../../lib/errors.js';
import { runConnectChecks } from '../../../pipeline/checks.js';
import type { SessionState, SmtpContext } from './context.js';

export async function handleConnect(ctx: SmtpContext, state: SessionState): Promise<void> {
  if (ctx.closing) {
    throw new MailError(`${ctx.settings.hostname} Service shutting down`, { code: 421, enhanced: '4.3.2' });
  }
  const outcome = await runConnectChecks(ctx.checks, state.client);
  if (outcome.kind === 'reject') {
    state.log.info({ check: outcome.check, reply: outcome.error.code }, 'connection refused by check');
    throw outcome.error;
  }
  state.connectTags = outcome.headers;
}
