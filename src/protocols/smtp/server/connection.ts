/**
 * Glue on each smtp-server connection (the one place that touches smtp-server's per-connection object):
 *   - the greeting is the configured text (RFC 5321 §4.3.1: our host name first), not smtp-server's;
 *   - a reply text that already starts with an RFC 3463 enhanced code (replies.ts) goes out as is, so that
 *     "554 5.7.1" is not turned into smtp-server's guess for 554 (RFC 2034 §3: one code per reply line);
 *   - on submission, the EHLO reply lists AUTH only once a password may be sent (auth.ts: after TLS);
 *   - failed commands are counted, and after `max_errors` of them the session ends with 421 (Postfix's
 *     smtpd_hard_error_limit). Replies to DATA are per message and do not count.
 *
 * Side effects: replaces `send` and `_sendGreeting` on the connection object.
 */

import { authAllowedNow } from './auth.js';
import type { SessionState, SmtpContext, SMTPConnection } from './context.js';
import { ENHANCED_PREFIX } from './replies.js';

export function attachConnection(conn: SMTPConnection, state: SessionState, ctx: SmtpContext): void {
  const send = conn.send.bind(conn);
  conn.send = (code: number, data?: string | string[] | null, context?: string | false): void => {
    // RFC 4954 §4 / RFC 8314: no password AUTH before TLS, so the EHLO reply does not offer it then.
    if (ctx.kind === 'submission' && code === 250 && Array.isArray(data) && !authAllowedNow(ctx, conn.secure)) {
      data = data.filter((line) => !/^AUTH\b/i.test(line));
    }
    const ours = typeof data === 'string' && ENHANCED_PREFIX.test(data);
    send(code, data, ours ? false : context);
    if (code < 400 || code === 421 || state.replyingToData) return;
    state.errors++;
    if (state.errors >= ctx.settings.maxErrors && !conn._closing) {
      state.log.info({ errors: state.errors }, 'too many errors, closing the session');
      // RFC 5321 §3.8: 421 and close.
      send(421, `4.7.0 ${ctx.settings.hostname} Error: too many errors`, false);
    }
  };
  conn._sendGreeting = (): void => send(220, ctx.settings.greeting, false);
}

/** Ends a session politely: 421 (RFC 5321 §3.8) then close. */
export function closeWith421(conn: SMTPConnection, text: string): void {
  conn.send(421, text, false);
}
