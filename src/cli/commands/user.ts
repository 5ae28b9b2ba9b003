/** `pochta user add|list|rm|passwd|quota|enable|disable`: mail accounts. Passwords never come from argv. */
import type { Command } from 'commander';
import { UserError } from '../../lib/errors.js';
import { parseSize, formatSize } from '../../lib/size.js';
import { checkPasswordStrength, hashPassword } from '../../directory/passwords.js';
import type { Account, Store } from '../../store/types.js';
import { readPassword } from '../prompt.js';
import { domainOf, normalizeAddressOrThrow, normalizeDomainOrThrow } from '../validate.js';
import type { CliContext } from '../context.js';

function accountRow(a: Account, usage?: { bytes: number; messages: number }): Record<string, string | number | boolean> {
  const row: Record<string, string | number | boolean> = {
    address: a.address,
    enabled: a.enabled,
    quota: a.quotaBytes === 0 ? 'unlimited' : formatSize(a.quotaBytes),
    created: a.createdAt.toISOString(),
  };
  if (usage) {
    row['used'] = formatSize(usage.bytes);
    row['messages'] = usage.messages;
  }
  return row;
}

export async function acceptablePassword(address: string, password: string): Promise<string> {
  const weak = checkPasswordStrength(password);
  if (weak) throw new UserError(`password refused: ${weak}`);
  if (password.toLowerCase() === address.slice(0, address.indexOf('@')).toLowerCase()) {
    throw new UserError('password refused: it is the same as the user name');
  }
  return hashPassword(password);
}

async function requireAccount(store: Store, address: string): Promise<Account> {
  const a = await store.getAccount(address);
  if (!a) throw new UserError(`no such user: ${address} (see pochta user list)`);
  return a;
}

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('manage mail accounts');

  user
    .command('add <address>')
    .description('create an account; the password is read from a prompt, or from stdin when not a terminal')
    .option('--quota <size>', 'mailbox quota, e.g. 2G (0 = unlimited)', '0')
    .option('--disabled', 'create the account disabled')
    .action(async (address: string, opts: { quota: string; disabled?: boolean }) => {
      const addr = normalizeAddressOrThrow(address);
      const quota = parseSize(opts.quota, '--quota');
      await ctx.withStore(async (store) => {
        // Check everything before asking for the password, so a typo does not cost a prompt.
        if (!(await store.getDomain(domainOf(addr)))) {
          throw new UserError(`domain ${domainOf(addr)} is not served: add it first with pochta domain add ${domainOf(addr)}`);
        }
        if (await store.getAccount(addr)) throw new UserError(`user ${addr} already exists`);
        const hash = await acceptablePassword(addr, await readPassword({ confirm: true }));
        const a = await store.createAccount({ address: addr, passwordHash: hash, quotaBytes: quota, enabled: !opts.disabled });
        ctx.output().result(accountRow(a), `added user ${a.address}`);
      });
    });

  user
    .command('list [domain]')
    .description('list accounts, optionally of one domain')
    .action(async (domain: string | undefined) => {
      const d = domain ? normalizeDomainOrThrow(domain) : undefined;
      await ctx.withStore(async (store) => {
        const rows = [];
        for (const a of await store.listAccounts(d)) rows.push(accountRow(a, await store.getUsage(a.id)));
        ctx.output().table(rows, ['address', 'enabled', 'quota', 'used', 'messages', 'created']);
      });
    });

  user
    .command('rm <address>')
    .description('delete an account and its mail')
    .action(async (address: string) => {
      const addr = normalizeAddressOrThrow(address);
      await ctx.withStore(async (store) => {
        await requireAccount(store, addr);
        await store.removeAccount(addr);
        ctx.output().result({ address: addr, removed: true }, `removed user ${addr}`);
      });
    });

  user
    .command('passwd <address>')
    .description('set a new password (from a prompt, or stdin when not a terminal)')
    .action(async (address: string) => {
      const addr = normalizeAddressOrThrow(address);
      await ctx.withStore(async (store) => {
        await requireAccount(store, addr);
        const hash = await acceptablePassword(addr, await readPassword({ confirm: true }));
        await store.updateAccount(addr, { passwordHash: hash });
        ctx.output().result({ address: addr, password_changed: true }, `password changed for ${addr}`);
      });
    });

  user
    .command('quota <address> <size>')
    .description('set the mailbox quota, e.g. 2G (0 = unlimited)')
    .action(async (address: string, size: string) => {
      const addr = normalizeAddressOrThrow(address);
      const quota = parseSize(size, 'quota');
      await ctx.withStore(async (store) => {
        await requireAccount(store, addr);
        const a = await store.updateAccount(addr, { quotaBytes: quota });
        ctx.output().result(accountRow(a), `quota of ${addr} set to ${quota === 0 ? 'unlimited' : formatSize(quota)}`);
      });
    });

  for (const [name, enabled] of [['enable', true], ['disable', false]] as const) {
    user
      .command(`${name} <address>`)
      .description(enabled ? 'allow the account to log in and receive mail' : 'refuse logins and mail (550 5.2.1) for the account')
      .action(async (address: string) => {
        const addr = normalizeAddressOrThrow(address);
        await ctx.withStore(async (store) => {
          await requireAccount(store, addr);
          const a = await store.updateAccount(addr, { enabled });
          ctx.output().result(accountRow(a), `${enabled ? 'enabled' : 'disabled'} ${addr}`);
        });
      });
  }
}
