/**
 * QUOTA (RFC 9208) with the STORAGE resource: one quota root "" per account, in KiB. SETQUOTA is refused
 * (quotas are set by the administrator).
 */
import { atom } from '../../proto/index.js';
import { defineCommand, no, ok, type SessionContext } from '../command.js';
import { accountOf, findMailbox, isResult, wireName } from '../mailbox-util.js';
import { AUTH } from '../state.js';

async function sendQuota(ctx: SessionContext): Promise<void> {
  const account = accountOf(ctx);
  const usage = await ctx.deps.store.getUsage(account.id);
  // RFC 9208 §5.1: STORAGE is in units of 1024 octets.
  await ctx.untagged([atom('QUOTA'), '', [atom('STORAGE'), Math.ceil(usage.bytes / 1024), Math.floor(account.quotaBytes / 1024)]]);
}

export const quotaCommand = defineCommand({
  names: ['GETQUOTA', 'GETQUOTAROOT', 'SETQUOTA'],
  states: AUTH,
  async run(ctx, cmd) {
    if (cmd.kind === 'SETQUOTA') return no('Quotas are set by the administrator', 'NOPERM');
    if (cmd.kind === 'GETQUOTA') {
      if (cmd.root !== '' || !accountOf(ctx).quotaBytes) return no('No such quota root', 'NONEXISTENT');
      await sendQuota(ctx);
      return ok('GETQUOTA completed');
    }
    const mb = await findMailbox(ctx, cmd.mailbox);
    if (isResult(mb)) return mb;
    // An account without a quota has no quota root (RFC 9208 §4.3.2: QUOTAROOT with no roots).
    if (!accountOf(ctx).quotaBytes) {
      await ctx.untagged([atom('QUOTAROOT'), wireName(ctx, mb.name)]);
      return ok('GETQUOTAROOT completed');
    }
    await ctx.untagged([atom('QUOTAROOT'), wireName(ctx, mb.name), '']);
    await sendQuota(ctx);
    return ok('GETQUOTAROOT completed');
  },
});
