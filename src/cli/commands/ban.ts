/**
 * `pochta ban list` and `pochta ban rm <ip>`: the temporary IP bans the defence made (antispam/abuse-guard.ts:
 * dictionary attacks; directory/login-throttle.ts: failed logins on IMAP, POP3 and SMTP AUTH), read from and
 * lifted in the store (AbuseStore), so they work while the server runs (a lifted login ban within 2 s).
 * Bans whose end has passed are not shown.
 */
import type { Command } from 'commander';
import { canonicalIp } from '../../dns/ip.js';
import { UserError } from '../../lib/errors.js';
import type { CliContext } from '../context.js';

export function registerBanCommands(program: Command, ctx: CliContext): void {
  const ban = program.command('ban').description('temporary IP bans (dictionary attacks, abuse)');

  ban
    .command('list')
    .description('banned client IPs, why, and until when')
    .action(async () => {
      await ctx.withStore(async (store) => {
        const now = new Date();
        const bans = await store.listBans(now);
        ctx.output().table(
          bans.map((b) => ({
            ip: b.ip,
            reason: b.reason,
            since: b.createdAt.toISOString(),
            until: b.expiresAt.toISOString(),
            seconds_left: Math.ceil((b.expiresAt.getTime() - now.getTime()) / 1000),
          })),
          ['ip', 'reason', 'since', 'until', 'seconds_left'],
        );
      });
    });

  ban
    .command('rm <ip>')
    .description('lift the ban of a client IP')
    .action(async (ip: string) => {
      const canonical = canonicalIp(ip);
      if (canonical === null) throw new UserError(`not an IP address: ${ip}`);
      await ctx.withStore(async (store) => {
        if (!(await store.removeBan(canonical))) throw new UserError(`${canonical} is not banned`);
        ctx.output().result({ ip: canonical, removed: true }, `lifted the ban of ${canonical}`);
      });
    });
}
