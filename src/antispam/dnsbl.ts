/**
 * DNS block- and allowlists of the client IP (RFC 5782), checked when a client connects to an smtp listener:
 *   - the query name is the IP reversed (IPv4 octets, IPv6 nibbles, §2.1 and §2.4) under the zone;
 *   - an A answer in 127.0.0.0/8 means listed (§2.3); "zone=127.0.0.2,127.0.0.4" counts only those codes;
 *     127.255.255.0/24 answers are the lists' error codes (e.g. Spamhaus "query refused"), never a listing;
 *   - NXDOMAIN/no data means not listed, and a timeout or SERVFAIL is treated as no answer (not listed,
 *     not cached), so an unreachable list never blocks mail;
 *   - answers (listed or not) are cached for `cacheTtlMs`.
 * A client on an allowlist (DNSWL) skips the blocklist action; greylisting asks `allowlisted(client)`.
 * Blocklist action when at least `threshold` zones list the client: `reject` (554 5.7.1 instead of the
 * greeting, RFC 5321 §3.1), `junk` (`isJunk(client)` tells the data phase), or `tag` (an X-DNSBL header).
 *
 * `DnsblCheck` is structurally a pipeline `Check` (antispam may not import pipeline, DESIGN.md).
 * Side effects: DNS A queries through the injected lookup; an in-memory cache bounded by `maxCacheEntries`.
 */

import { parseIp, reverseName } from '../dns/ip.js';
import { MailError } from '../lib/errors.js';

export interface ZoneSpec {
  zone: string;
  /** Return codes that count; null = any 127.0.0.0/8 answer outside the error range. */
  codes: readonly string[] | null;
}

/** "zen.example" or "zen.example=127.0.0.2,127.0.0.3" (the config syntax). */
export function parseZoneSpec(spec: string): ZoneSpec {
  const eq = spec.indexOf('=');
  if (eq < 0) return { zone: spec.toLowerCase().replace(/\.$/, ''), codes: null };
  return {
    zone: spec.slice(0, eq).toLowerCase().replace(/\.$/, ''),
    codes: spec
      .slice(eq + 1)
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== ''),
  };
}

/** RFC 5782 §2.1/§2.4: the DNS name to query for `ip` in `zone`. */
export function dnsListQueryName(ip: string, zone: string): string {
  const rev = reverseName(ip);
  return `${rev.replace(/\.(in-addr|ip6)\.arpa$/, '')}.${zone}`;
}

/** The answers that count as a listing (pure). */
export function listingCodes(answers: readonly string[], codes: readonly string[] | null): string[] {
  return answers.filter((a) => {
    // RFC 5782 §2.3: list entries are in 127.0.0.0/8; anything else is a broken or hijacked zone.
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) return false;
    // 127.255.255.0/24: error codes (query refused, rate limited, typing error), not a listing.
    if (a.startsWith('127.255.255.')) return false;
    return codes === null || codes.includes(a);
  });
}

export type ZoneAnswer = { status: 'listed'; codes: string[] } | { status: 'clear' } | { status: 'no-answer' };

export interface DnsListClient {
  ip: string;
}

export type DnsListVerdict = { kind: 'accept' } | { kind: 'reject'; error: MailError } | { kind: 'tag'; header: string };

export interface DnsListResult {
  /** Allowlist zones that list the client. */
  allowed: string[];
  /** Blocklist zones that list the client, with their codes. */
  blocked: Array<{ zone: string; codes: string[] }>;
}

export interface DnsblOptions {
  blocklists: readonly string[];
  allowlists: readonly string[];
  action: 'reject' | 'junk' | 'tag';
  threshold: number;
  cacheTtlMs: number;
  /** A lookup of A records; rejects with a node:dns-style error (`code`) when there are none. */
  resolve4: (name: string) => Promise<string[]>;
  /** Clients not checked at all (trusted networks). */
  skip?: (ip: string) => boolean;
  now?: () => number;
  maxCacheEntries?: number;
}

function errorCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
}

export class DnsblCheck {
  readonly name = 'dnsbl';
  private readonly blocklists: ZoneSpec[];
  private readonly allowlists: ZoneSpec[];
  private readonly cache = new Map<string, { at: number; answer: ZoneAnswer }>();
  private readonly results = new WeakMap<DnsListClient, Promise<DnsListResult>>();

  constructor(private readonly opts: DnsblOptions) {
    this.blocklists = opts.blocklists.map(parseZoneSpec);
    this.allowlists = opts.allowlists.map(parseZoneSpec);
  }

  /** One zone's answer for an IP, cached (a no-answer is not cached: the next client asks again). */
  async query(ip: string, spec: ZoneSpec): Promise<ZoneAnswer> {
    const name = dnsListQueryName(ip, spec.zone);
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(name);
    let answers: string[] | null;
    if (hit !== undefined && now - hit.at < this.opts.cacheTtlMs) {
      if (hit.answer.status !== 'listed') return hit.answer;
      answers = hit.answer.codes;
    } else {
      try {
        answers = await this.opts.resolve4(name);
      } catch (e) {
        const code = errorCode(e);
        answers = code === 'ENOTFOUND' || code === 'ENODATA' ? [] : null;
      }
      if (answers === null) return { status: 'no-answer' };
      this.remember(name, now, answers);
    }
    const listed = listingCodes(answers, spec.codes);
    return listed.length > 0 ? { status: 'listed', codes: listed } : { status: 'clear' };
  }

  private remember(name: string, now: number, answers: string[]): void {
    if (this.opts.cacheTtlMs <= 0) return;
    const max = this.opts.maxCacheEntries ?? 10_000;
    if (this.cache.size >= max) {
      // Oldest insertion first (Map order): drop a tenth.
      let n = Math.ceil(max / 10);
      for (const k of this.cache.keys()) {
        if (n-- <= 0) break;
        this.cache.delete(k);
      }
    }
    // Raw answers are cached, so zones sharing a name with different code filters stay right.
    this.cache.set(name, { at: now, answer: answers.length > 0 ? { status: 'listed', codes: answers } : { status: 'clear' } });
  }

  /** All zones of one client, queried in parallel, once per client object. */
  lookup(client: DnsListClient): Promise<DnsListResult> {
    let p = this.results.get(client);
    if (p === undefined) {
      p = this.lookupAll(client.ip);
      p.catch(() => undefined);
      this.results.set(client, p);
    }
    return p;
  }

  private async lookupAll(ip: string): Promise<DnsListResult> {
    if (ip === '' || parseIp(ip) === null || this.opts.skip?.(ip) === true) return { allowed: [], blocked: [] };
    const [allow, block] = await Promise.all([
      Promise.all(this.allowlists.map((z) => this.query(ip, z))),
      Promise.all(this.blocklists.map((z) => this.query(ip, z))),
    ]);
    return {
      allowed: this.allowlists.filter((_, i) => allow[i]?.status === 'listed').map((z) => z.zone),
      blocked: this.blocklists.flatMap((z, i) => {
        const a = block[i];
        return a?.status === 'listed' ? [{ zone: z.zone, codes: a.codes }] : [];
      }),
    };
  }

  /** True when an allowlist lists the client (greylisting and other checks let it pass). */
  async allowlisted(client: DnsListClient): Promise<boolean> {
    return (await this.lookup(client)).allowed.length > 0;
  }

  /** True when the blocklist action is `junk` and the client is listed enough (read at the data phase). */
  async isJunk(client: DnsListClient): Promise<boolean> {
    if (this.opts.action !== 'junk') return false;
    const r = await this.lookup(client);
    return r.allowed.length === 0 && r.blocked.length >= this.opts.threshold;
  }

  async connect(client: DnsListClient): Promise<DnsListVerdict> {
    const r = await this.lookup(client);
    if (r.allowed.length > 0 || r.blocked.length < this.opts.threshold || r.blocked.length === 0) return { kind: 'accept' };
    const zones = r.blocked.map((b) => b.zone).join(', ');
    if (this.opts.action === 'reject') {
      return {
        kind: 'reject',
        error: new MailError(`Service unavailable; client [${client.ip}] blocked using ${zones}`, { code: 554, enhanced: '5.7.1', temporary: false }),
      };
    }
    const detail = r.blocked.map((b) => `${b.zone}=${b.codes.join(',')}`).join('; ');
    return { kind: 'tag', header: `X-DNSBL: ${detail}\r\n` };
  }
}
