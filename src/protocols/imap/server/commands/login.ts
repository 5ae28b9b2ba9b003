/**
 * LOGIN (RFC 9051 §6.2.3) and the shared end of every authentication: PRIVACYREQUIRED before TLS unless
 * allowed, AUTHENTICATIONFAILED with a growing delay on failure, CAPABILITY in the tagged OK on success.
 */
import type { Account } from '../../../../store/types.js';
import { defineCommand, no, ok, type CommandResult, type SessionContext } from '../command.js';
import { NOT_AUTH } from '../state.js';

export async function finishLogin(ctx: SessionContext, account: Account | null): Promise<CommandResult> {
  if (!account) {
    await ctx.loginFailed();
    return no('Invalid credentials', 'AUTHENTICATIONFAILED');
  }
  const refused = ctx.login(account);
  if (refused) return refused;
  // RFC 9051 §6.2.3: the server may send CAPABILITY in the tagged OK; clients then need not ask.
  return ok('Logged in', `CAPABILITY ${ctx.capabilities().join(' ')}`);
}

export const loginCommand = defineCommand({
  names: ['LOGIN'],
  states: NOT_AUTH,
  async run(ctx, cmd) {
    if (ctx.loginDisabled) return no('Use STARTTLS first', 'PRIVACYREQUIRED');
    const account = await ctx.deps.directory.authenticate(cmd.username, cmd.password, { protocol: 'imap', remoteIp: ctx.remoteAddress });
    return finishLogin(ctx, account);
  },
});
