/**
 * `pochta dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]`: makes a DKIM signing key in
 * `<data_dir>/dkim/<domain>.<selector>.key` (mode 0600; an existing key is never overwritten) and prints the
 * DNS TXT record to publish at `<selector>._domainkey.<domain>` (RFC 6376 §3.6.2.1). The running server signs
 * with it from the next submitted message on; until the record is published, receivers see the signature fail.
 */
import type { Command } from 'commander';
import { UserError } from '../../lib/errors.js';
import { generateDkimKey, isValidSelector, type DkimAlgorithm } from '../../protocols/smtp/server/dkim-keys.js';
import type { CliContext } from '../context.js';
import { normalizeDomainOrThrow } from '../validate.js';

/** Default selector: the year and month, so rotated keys get distinct names ("s202611"). */
function defaultSelector(now: Date): string {
  return `s${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function registerDkimCommands(program: Command, ctx: CliContext): void {
  const dkim = program.command('dkim').description('DKIM signing keys for outgoing mail');

  dkim
    .command('generate <domain>')
    .description('make a signing key for DOMAIN and print the DNS TXT record to publish')
    .option('-s, --selector <selector>', 'selector (one DNS label; default sYYYYMM)')
    .option('-a, --algorithm <algorithm>', 'rsa (2048 bits) or ed25519', 'rsa')
    .action(async (name: string, opts: { selector?: string; algorithm: string }) => {
      const domain = normalizeDomainOrThrow(name);
      const selector = (opts.selector ?? defaultSelector(new Date())).toLowerCase();
      if (!isValidSelector(selector)) throw new UserError(`dkim generate: invalid selector "${selector}" (letters, digits and hyphens, one label)`);
      const algorithm = opts.algorithm.toLowerCase();
      if (algorithm !== 'rsa' && algorithm !== 'ed25519') throw new UserError('dkim generate: --algorithm must be rsa or ed25519');
      await ctx.withStore(async (store, config) => {
        if ((await store.getDomain(domain)) === null) throw new UserError(`dkim generate: ${domain} is not a served domain (pochta domain add ${domain})`);
        let key;
        try {
          key = await generateDkimKey(config.server.data_dir, domain, selector, algorithm as DkimAlgorithm);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`dkim generate: ${domain} already has a key with selector ${selector}; choose another --selector`);
          throw e;
        }
        ctx.output().result(
          { domain, selector, algorithm, path: key.path, name: key.txtName, txt: key.txt },
          `wrote ${key.path}\npublish this DNS record:\n${key.zoneLine}`,
        );
      });
    });
}
