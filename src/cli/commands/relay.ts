/**
 * `pochta relay list`: the POP-before-SMTP grants (config relay.pop_before_smtp): which client IPs may relay
 * through SMTP after a POP3 or IMAP login, as whom, and until when. The server is another process: it mirrors
 * its grants to `<data_dir>/pop-before-smtp.json` (directory/pop-before-smtp-file.ts), which this reads; grants
 * whose end has passed are not shown.
 */
import type { Command } from 'commander';
import { grantsFilePath, loadGrants } from '../../directory/pop-before-smtp-file.js';
import type { CliContext } from '../context.js';

export function registerRelayCommands(program: Command, ctx: CliContext): void {
  const relay = program.command('relay').description('relay permissions (POP-before-SMTP grants)');

  relay
    .command('list')
    .description('client IPs allowed to relay after a POP3 or IMAP login, and until when')
    .action(async () => {
      const config = await ctx.loadConfig();
      const now = Date.now();
      const grants = await loadGrants(grantsFilePath(config.server.data_dir), now);
      if (!config.relay.pop_before_smtp && grants.length === 0 && !ctx.globals().json) {
        process.stderr.write('POP-before-SMTP is off (set [relay] pop_before_smtp = true)\n');
      }
      ctx.output().table(
        grants.map((g) => ({
          ip: g.ip,
          login: g.login,
          until: g.until.toISOString(),
          seconds_left: Math.ceil((g.until.getTime() - now) / 1000),
        })),
        ['ip', 'login', 'until', 'seconds_left'],
      );
    });
}
