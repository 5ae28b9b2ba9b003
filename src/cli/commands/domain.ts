/** `pochta domain add|list|set|rm`: the domains pochta receives mail for. */
import type { Command } from 'commander';
import { UserError } from '../../lib/errors.js';
import { normalizeDomainOrThrow, normalizeAddressOrThrow } from '../validate.js';
import type { CliContext } from '../context.js';
import type { Domain } from '../../store/types.js';

function domainRow(d: Domain): Record<string, string | null> {
  return { domain: d.name, unknown: d.unknownPolicy, catch_all: d.catchAll, created: d.createdAt.toISOString() };
}

export function registerDomainCommands(program: Command, ctx: CliContext): void {
  const domain = program.command('domain').description('manage the domains pochta receives mail for');

  domain
    .command('add <name>')
    .description('serve a domain (IDN names are stored in A-label form)')
    .option('--catch-all <address>', 'deliver mail for unknown users of this domain to this address')
    .action(async (name: string, opts: { catchAll?: string }) => {
      const domainName = normalizeDomainOrThrow(name);
      const catchAll = opts.catchAll ? normalizeAddressOrThrow(opts.catchAll) : null;
      await ctx.withStore(async (store) => {
        const d = await store.addDomain({ name: domainName, unknownPolicy: catchAll ? 'catch-all' : 'reject', catchAll });
        ctx.output().result(domainRow(d), `added domain ${d.name}`);
      });
    });

  domain
    .command('set <name>')
    .description('change how unknown recipients of a domain are handled')
    .option('--catch-all <address>', 'deliver mail for unknown users to this address')
    .option('--reject-unknown', 'reject mail for unknown users with 550 5.1.1 (the default)')
    .action(async (name: string, opts: { catchAll?: string; rejectUnknown?: boolean }) => {
      if (Boolean(opts.catchAll) === Boolean(opts.rejectUnknown)) {
        throw new UserError('domain set: give exactly one of --catch-all ADDRESS or --reject-unknown');
      }
      const domainName = normalizeDomainOrThrow(name);
      const catchAll = opts.catchAll ? normalizeAddressOrThrow(opts.catchAll) : null;
      await ctx.withStore(async (store) => {
        const d = await store.updateDomain(domainName, { unknownPolicy: catchAll ? 'catch-all' : 'reject', catchAll });
        ctx.output().result(domainRow(d), `updated domain ${d.name}`);
      });
    });

  domain
    .command('list')
    .description('list the served domains')
    .action(async () => {
      await ctx.withStore(async (store) => {
        const rows = (await store.listDomains()).map(domainRow);
        ctx.output().table(rows, ['domain', 'unknown', 'catch_all', 'created']);
      });
    });

  domain
    .command('rm <name>')
    .description('stop serving a domain (refused while it has users or aliases)')
    .action(async (name: string) => {
      const domainName = normalizeDomainOrThrow(name);
      await ctx.withStore(async (store) => {
        await store.removeDomain(domainName);
        ctx.output().result({ domain: domainName, removed: true }, `removed domain ${domainName}`);
      });
    });
}
