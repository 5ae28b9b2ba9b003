/**
 * `pochta dns DOMAIN` prints the DNS records a served domain should publish (MX, SPF, DKIM from the keys in the
 * data dir, DMARC, MTA-STS and TLS-RPT, and RFC 6186 SRV records plus an autoconfig name so mail clients find
 * the server); `pochta dns check DOMAIN` looks each one up through the configured resolver and says whether DNS
 * serves it. The address records of server.hostname are the admin's to publish (we cannot know the public IP).
 */
import type { Command } from 'commander';
import { NodeResolver } from '../../dns/node-resolver.js';
import { isNoRecordsDnsError } from '../../dns/dns-error.js';
import type { Resolver } from '../../dns/resolver.js';
import { UserError } from '../../lib/errors.js';
import { dkimRecordOfPrivateKey, loadDkimKeys } from '../../protocols/smtp/server/dkim-keys.js';
import type { Config } from '../../config/index.js';
import { normalizeDomainOrThrow } from '../validate.js';
import type { CliContext } from '../context.js';

export interface ExpectedRecord {
  name: string;
  type: 'MX' | 'TXT' | 'SRV' | 'CNAME';
  value: string;
  /** What the record is for, printed as a comment. */
  purpose: string;
  /** TXT records: the tag that identifies ours among several TXT records of the name (v=spf1, v=DKIM1 ...). */
  match?: string;
}

function txt(value: string): string {
  // RFC 1035 §3.3.14: a character-string holds at most 255 octets; longer values are split.
  const chunks = value.match(/.{1,255}/g) ?? [''];
  return chunks.map((c) => `"${c}"`).join(' ');
}

export async function expectedRecords(config: Config, domain: string): Promise<ExpectedRecord[]> {
  const host = config.server.hostname.toLowerCase().replace(/\.$/, '');
  const records: ExpectedRecord[] = [
    { name: domain, type: 'MX', value: `10 ${host}.`, purpose: 'mail for the domain goes to this server (RFC 5321 §5.1)' },
    { name: domain, type: 'TXT', value: 'v=spf1 mx -all', purpose: 'SPF: only the MX hosts send for the domain (RFC 7208)', match: 'v=spf1' },
  ];
  // Forwarded mail leaves with an SRS sender at [srs] domain (the hostname by default), and every message with
  // our HELO name: receivers check SPF for both (RFC 7208 §2.3, §2.4), so that name needs its own record.
  const srsDomain = config.srs.enabled ? config.srs.domain.toLowerCase().replace(/\.$/, '') : '';
  for (const name of new Set([host, srsDomain].filter((n) => n !== '' && n !== domain))) {
    const why = name === srsDomain ? 'the SRS sender of forwarded mail' + (name === host ? ' and the HELO name' : '') : 'the HELO name';
    records.push({ name, type: 'TXT', value: 'v=spf1 a mx -all', purpose: `SPF for ${why}: only this server sends (RFC 7208)`, match: 'v=spf1' });
  }
  for (const key of await loadDkimKeys(config.server.data_dir, domain)) {
    const rec = dkimRecordOfPrivateKey(key.privateKey);
    if (rec) {
      records.push({ name: `${key.selector}._domainkey.${domain}`, type: 'TXT', value: rec.txt, purpose: `DKIM public key, ${rec.algorithm} (RFC 6376)`, match: 'v=DKIM1' });
    }
  }
  records.push(
    {
      name: `_dmarc.${domain}`,
      type: 'TXT',
      value: `v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}`,
      purpose: 'DMARC policy: failing mail goes to spam; aggregate reports to postmaster (RFC 7489)',
      match: 'v=DMARC1',
    },
    {
      name: `_mta-sts.${domain}`,
      type: 'TXT',
      value: 'v=STSv1; id=1',
      purpose: `MTA-STS (RFC 8461); also serve https://mta-sts.${domain}/.well-known/mta-sts.txt with "version: STSv1\\nmode: testing\\nmx: ${host}\\nmax_age: 86400"`,
      match: 'v=STSv1',
    },
    { name: `_smtp._tls.${domain}`, type: 'TXT', value: `v=TLSRPTv1; rua=mailto:postmaster@${domain}`, purpose: 'TLS reporting (RFC 8460)', match: 'v=TLSRPTv1' },
  );
  const srv: Array<[string, 'submission' | 'imap' | 'pop3', 'starttls' | 'implicit']> = [
    ['_submission._tcp', 'submission', 'starttls'],
    ['_submissions._tcp', 'submission', 'implicit'],
    ['_imap._tcp', 'imap', 'starttls'],
    ['_imaps._tcp', 'imap', 'implicit'],
    ['_pop3._tcp', 'pop3', 'starttls'],
    ['_pop3s._tcp', 'pop3', 'implicit'],
  ];
  for (const [label, protocol, tls] of srv) {
    const l = config.listeners.find((x) => x.protocol === protocol && x.tls === tls);
    if (l) records.push({ name: `${label}.${domain}`, type: 'SRV', value: `0 1 ${l.port} ${host}.`, purpose: `${protocol} for mail clients (RFC 6186, RFC 8314)` });
  }
  records.push({ name: `autoconfig.${domain}`, type: 'CNAME', value: `${host}.`, purpose: 'name mail clients try for automatic set-up' });
  return records;
}

export function zoneLine(r: ExpectedRecord): string {
  const value = r.type === 'TXT' ? txt(r.value) : r.value;
  return `${r.name}. IN ${r.type} ${value}`;
}

type CheckStatus = 'ok' | 'missing' | 'different' | 'error';

/** Looks up one expected record; 'different' when the name has records of that type but not ours. */
export async function checkRecord(resolver: Resolver, r: ExpectedRecord): Promise<{ status: CheckStatus; found: string[] }> {
  const norm = (s: string): string => s.toLowerCase().replace(/\.$/, '').replace(/\s+/g, ' ').trim();
  try {
    let found: string[];
    if (r.type === 'MX') found = (await resolver.resolveMx(r.name)).map((m) => `${m.priority} ${m.exchange}`);
    else if (r.type === 'TXT') found = (await resolver.resolveTxt(r.name)).map((chunks) => chunks.join(''));
    else if (r.type === 'CNAME') found = await resolver.resolveCname(r.name);
    else found = ((await resolver.resolve(r.name, 'SRV')) as unknown as Array<{ priority: number; weight: number; port: number; name: string }>).map((s) => `${s.priority} ${s.weight} ${s.port} ${s.name}`);
    const ours =
      r.type === 'MX'
        ? found.some((f) => norm(f).split(' ')[1] === norm(r.value).split(' ')[1])
        : r.type === 'TXT'
          ? found.some((f) => norm(f) === norm(r.value))
          : found.some((f) => norm(f) === norm(r.value));
    if (ours) return { status: 'ok', found };
    if (r.type === 'TXT' && r.match && !found.some((f) => f.startsWith(r.match!))) return { status: 'missing', found };
    return { status: 'different', found };
  } catch (e) {
    if (isNoRecordsDnsError(e)) return { status: 'missing', found: [] };
    return { status: 'error', found: [e instanceof Error ? e.message : String(e)] };
  }
}

export function registerDnsCommands(program: Command, ctx: CliContext): void {
  const dns = program
    .command('dns')
    .description('DNS records a domain should publish: pochta dns DOMAIN, or pochta dns check DOMAIN')
    .argument('[domain]', 'a served domain')
    .action(async (domain: string | undefined) => {
      if (!domain) throw new UserError('dns: give a domain: pochta dns DOMAIN (or pochta dns check DOMAIN)');
      const d = normalizeDomainOrThrow(domain);
      const config = await ctx.loadConfig();
      const records = await expectedRecords(config, d);
      if (ctx.globals().json) {
        ctx.output().result(records.map((r) => ({ name: r.name, type: r.type, value: r.value, purpose: r.purpose })), '');
        return;
      }
      const lines = [`; DNS records for ${d} (server ${config.server.hostname}); publish the A/AAAA records of the server name yourself`];
      for (const r of records) lines.push(`; ${r.purpose}`, zoneLine(r));
      if (!records.some((r) => r.name.includes('._domainkey.'))) lines.push(`; no DKIM key yet: pochta dkim generate ${d}`);
      process.stdout.write(lines.join('\n') + '\n');
    });

  dns
    .command('check <domain>')
    .description('compare the records pochta dns prints with what DNS serves (through [dns] servers)')
    .action(async (domain: string) => {
      const d = normalizeDomainOrThrow(domain);
      const config = await ctx.loadConfig();
      const resolver = new NodeResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, tries: config.dns.tries });
      const rows = [];
      for (const r of await expectedRecords(config, d)) {
        const { status, found } = await checkRecord(resolver, r);
        rows.push({ name: r.name, type: r.type, status, expected: r.value.length > 60 ? `${r.value.slice(0, 57)}...` : r.value, found: found.join(' | ').slice(0, 80) || null });
      }
      ctx.output().table(rows, ['name', 'type', 'status', 'expected', 'found']);
      if (rows.some((r) => r.status !== 'ok')) process.exitCode = 1;
    });
}
