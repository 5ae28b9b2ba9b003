/** `pochta alias add|list|rm`: addresses that forward to one or more targets (local or remote). */
import type { Command } from 'commander';
import { UserError } from '../../lib/errors.js';
import { domainOf, normalizeAddressOrThrow, normalizeDomainOrThrow } from '../validate.js';
import type { CliContext } from '../context.js';

export function registerAliasCommands(program: Command, ctx: CliContext): void {
  const alias = program.command('alias').description('manage aliases (one address to many targets)');

  alias
    .command('add <address> <targets...>')
    .description('make ADDRESS deliver to each TARGET (adds to an existing alias)')
    .action(async (address: string, targets: string[]) => {
      const addr = normalizeAddressOrThrow(address);
      const normalized = targets.map(normalizeAddressOrThrow);
      if (normalized.includes(addr)) throw new UserError(`alias ${addr} cannot point at itself`);
      await ctx.withStore(async (store) => {
        if (!(await store.getDomain(domainOf(addr)))) {
          throw new UserError(`domain ${domainOf(addr)} is not served: add it first with pochta domain add ${domainOf(addr)}`);
        }
        if (await store.getAccount(addr)) throw new UserError(`${addr} is a user; an alias cannot have the same address`);
        const a = await store.addAlias(addr, normalized);
        ctx.output().result({ address: a.address, targets: a.targets.join(', ') }, `${a.address} -> ${a.targets.join(', ')}`);
      });
    });

  alias
    .command('list [domain]')
    .description('list aliases, optionally of one domain')
    .action(async (domain: string | undefined) => {
      const d = domain ? normalizeDomainOrThrow(domain) : undefined;
      await ctx.withStore(async (store) => {
        const rows = (await store.listAliases(d)).map((a) => ({ address: a.address, targets: a.targets.join(', ') }));
        ctx.output().table(rows, ['address', 'targets']);
      });
    });

  alias
    .command('rm <address> [target]')
    .description('remove one target of an alias, or the whole alias')
    .action(async (address: string, target: string | undefined) => {
      const addr = normalizeAddressOrThrow(address);
      const t = target ? normalizeAddressOrThrow(target) : undefined;
      await ctx.withStore(async (store) => {
        const existing = await store.getAlias(addr);
        if (!existing) throw new UserError(`no such alias: ${addr}`);
        if (t && !existing.targets.includes(t)) throw new UserError(`alias ${addr} has no target ${t}`);
        await store.removeAlias(addr, t);
        ctx.output().result({ address: addr, target: t ?? null, removed: true }, t ? `removed ${t} from ${addr}` : `removed alias ${addr}`);
      });
    });
}
