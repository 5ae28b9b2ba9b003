/**
 * `pochta import users FILE` (a Dovecot passwd-file) and `pochta import aliases FILE` (aliases(5) or a
 * Postfix virtual table): migration from another server. Parsing is directory/import-formats.ts; this
 * module writes the store and reports one row per entry (added, updated, skipped and why).
 *
 * - Imported hashes are kept as they are (users keep their passwords) and replaced by argon2id at the first
 *   successful login (InternalDirectory). Clear-text {PLAIN} passwords are hashed now.
 * - A domain that is not served yet is added. An existing user is left alone unless --replace.
 * - An alias whose address is a user is skipped; targets are added to an existing alias.
 * Side effects: store writes; reads FILE.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { hashPassword } from '../../directory/passwords.js';
import { detectAliasFormat, parseAliasesFile, parseDovecotPasswdFile, parseVirtualTable, type Skipped } from '../../directory/import-formats.js';
import { UserError } from '../../lib/errors.js';
import { normalizeAddress } from '../../mail/address.js';
import type { AccountStore } from '../../store/types.js';
import type { CliContext } from '../context.js';
import type { Row } from '../output.js';
import { domainOf, normalizeDomainOrThrow } from '../validate.js';

async function readInput(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

async function ensureDomain(store: AccountStore, domain: string, rows: Row[]): Promise<void> {
  if ((await store.getDomain(domain)) !== null) return;
  await store.addDomain({ name: domain });
  rows.push({ line: null, entry: domain, action: 'domain added', note: '' });
}

function skippedRows(skipped: Skipped[]): Row[] {
  return skipped.map((s) => ({ line: s.line, entry: s.text, action: 'skipped', note: s.reason }));
}

function summary(rows: Row[]): string {
  const count = (a: string): number => rows.filter((r) => r['action'] === a).length;
  return `${count('added')} added, ${count('updated')} updated, ${count('skipped')} skipped`;
}

export function registerImportCommands(program: Command, ctx: CliContext): void {
  const imp = program.command('import').description('import users and aliases from another mail server');

  imp
    .command('users <file>')
    .description('import users from a Dovecot passwd-file, keeping their password hashes')
    .option('--domain <domain>', 'domain for user names without one')
    .option('--replace', 'overwrite the password hash and quota of existing users')
    .action(async (file: string, o: { domain?: string; replace?: boolean }) => {
      const domain = o.domain === undefined ? undefined : normalizeDomainOrThrow(o.domain);
      const parsed = parseDovecotPasswdFile(await readInput(file), domain === undefined ? {} : { domain });
      const rows: Row[] = skippedRows(parsed.skipped);
      await ctx.withStore(async (store) => {
        for (const u of parsed.users) {
          const address = normalizeAddress(u.address);
          if (address === null) {
            rows.push({ line: u.line, entry: u.address, action: 'skipped', note: 'not a valid address' });
            continue;
          }
          const passwordHash = u.passwordHash ?? (await hashPassword(u.clear ?? ''));
          const existing = await store.getAccount(address);
          if (existing !== null) {
            if (o.replace !== true) {
              rows.push({ line: u.line, entry: address, action: 'skipped', note: 'user exists (use --replace)' });
              continue;
            }
            await store.updateAccount(address, { passwordHash, quotaBytes: u.quotaBytes });
            rows.push({ line: u.line, entry: address, action: 'updated', note: '' });
            continue;
          }
          if ((await store.getAlias(address)) !== null) {
            rows.push({ line: u.line, entry: address, action: 'skipped', note: 'an alias has this address' });
            continue;
          }
          await ensureDomain(store, domainOf(address), rows);
          await store.createAccount({ address, passwordHash, quotaBytes: u.quotaBytes });
          rows.push({ line: u.line, entry: address, action: 'added', note: u.clear !== null ? 'clear-text password hashed' : '' });
        }
      });
      rows.sort((a, b) => Number(a['line'] ?? 0) - Number(b['line'] ?? 0));
      ctx.output().table(rows, ['line', 'entry', 'action', 'note']);
      if (!ctx.globals().json) ctx.output().result({}, summary(rows));
    });

  imp
    .command('aliases <file>')
    .description('import aliases from an aliases(5) file or a Postfix virtual table')
    .option('--format <format>', 'aliases or virtual (default: guessed from the file)')
    .option('--domain <domain>', 'domain for names and targets without one (Postfix $myorigin)')
    .action(async (file: string, o: { format?: string; domain?: string }) => {
      const domain = o.domain === undefined ? undefined : normalizeDomainOrThrow(o.domain);
      const text = await readInput(file);
      const format = o.format ?? detectAliasFormat(text);
      if (format !== 'aliases' && format !== 'virtual') throw new UserError(`--format must be aliases or virtual, not ${format}`);
      const opts = domain === undefined ? {} : { domain };
      const parsed = format === 'aliases' ? parseAliasesFile(text, opts) : parseVirtualTable(text, opts);
      const rows: Row[] = skippedRows(parsed.skipped);
      await ctx.withStore(async (store) => {
        for (const d of parsed.domains) await ensureDomain(store, normalizeDomainOrThrow(d), rows);
        for (const a of parsed.aliases) {
          const address = normalizeAddress(a.address);
          const targets = a.targets.map((t) => normalizeAddress(t));
          if (address === null || targets.some((t) => t === null)) {
            rows.push({ line: a.line, entry: a.address, action: 'skipped', note: 'not a valid address' });
            continue;
          }
          const valid = (targets as string[]).filter((t) => t !== address);
          if (valid.length === 0) {
            rows.push({ line: a.line, entry: address, action: 'skipped', note: 'an alias cannot point at itself' });
            continue;
          }
          if ((await store.getAccount(address)) !== null) {
            rows.push({ line: a.line, entry: address, action: 'skipped', note: 'a user has this address' });
            continue;
          }
          await ensureDomain(store, domainOf(address), rows);
          await store.addAlias(address, valid);
          rows.push({ line: a.line, entry: address, action: 'added', note: `-> ${valid.join(', ')}` });
        }
        for (const c of parsed.catchAll) {
          const d = normalizeDomainOrThrow(c.domain);
          const target = normalizeAddress(c.target);
          if (target === null) {
            rows.push({ line: c.line, entry: `@${d}`, action: 'skipped', note: 'not a valid address' });
            continue;
          }
          await ensureDomain(store, d, rows);
          await store.updateDomain(d, { unknownPolicy: 'catch-all', catchAll: target });
          rows.push({ line: c.line, entry: `@${d}`, action: 'added', note: `catch-all -> ${target}` });
        }
      });
      rows.sort((a, b) => Number(a['line'] ?? 0) - Number(b['line'] ?? 0));
      ctx.output().table(rows, ['line', 'entry', 'action', 'note']);
      if (!ctx.globals().json) ctx.output().result({}, summary(rows));
    });
}
