/**
 * Where mail for a domain goes (RFC 5321 §5.1): the MX hosts sorted by preference with equal preferences
 * shuffled, or the implicit MX (the domain itself) when there is no MX record, and each host's addresses.
 *
 * Decisions (each a typed `Route`, never a throw):
 * - MX lookup NXDOMAIN → permanent failure (5.1.2, bad destination system address).
 * - MX lookup ENODATA → implicit MX: the domain's own AAAA/A records (RFC 5321 §5.1).
 * - A null MX, the single record "0 ." (RFC 7505 §3) → permanent failure 556 5.1.10 (RFC 7505 §4.2, RFC 7504).
 * - A temporary DNS error (timeout, SERVFAIL, ...) → retry later (RFC 5321 §5.1: "the SMTP client SHOULD
 *   try again later").
 * - An MX whose exchange is an IP literal is not a host name (RFC 5321 §5.1 requires a domain name; RFC 2181
 *   §10.3): it is skipped, as Exim does by default (allow_mx_to_ip = false).
 * - An MX pointing at a CNAME (also forbidden by RFC 2181 §10.3) is followed: the resolver's A/AAAA
 *   answer chases the alias, the liberal choice every major MTA makes.
 *
 * Side effects: DNS queries through the injected Resolver.
 */

import { isIP } from 'node:net';
import { isNoRecordsDnsError, isTemporaryDnsError } from '../../../dns/dns-error.js';
import type { MxRecord, Resolver } from '../../../dns/resolver.js';

export interface MxHost {
  name: string;
  priority: number;
  /** True for the implicit MX (the domain itself). */
  implicit: boolean;
}

export type Route =
  | { kind: 'hosts'; hosts: MxHost[] }
  /** Nothing to try: `temporary` decides between a retry and a bounce. */
  | { kind: 'fail'; temporary: boolean; code: number; enhanced: string; reason: string };

/** Fisher-Yates shuffle with an injectable random source (tests). */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** RFC 5321 §5.1: lowest preference first; hosts with equal preference in random order. Drops duplicates. */
export function orderMx(records: readonly MxRecord[], random: () => number = Math.random): MxRecord[] {
  const byPriority = new Map<number, MxRecord[]>();
  const seen = new Set<string>();
  for (const r of records) {
    const name = r.exchange.toLowerCase().replace(/\.$/, '');
    if (seen.has(name)) continue;
    seen.add(name);
    const list = byPriority.get(r.priority) ?? [];
    list.push({ exchange: name, priority: r.priority });
    byPriority.set(r.priority, list);
  }
  return [...byPriority.keys()].sort((a, b) => a - b).flatMap((p) => shuffle(byPriority.get(p)!, random));
}

/** RFC 7505 §3: a null MX is a single record with preference 0 and exchange "." (node:dns gives ""). */
export function isNullMx(records: readonly MxRecord[]): boolean {
  return records.some((r) => r.exchange === '' || r.exchange === '.');
}

/** An MX exchange written as an IP address (with or without brackets): not a host name. */
export function isIpLiteralExchange(exchange: string): boolean {
  return isIP(exchange.replace(/^\[|\]$/g, '').replace(/^ipv6:/i, '')) !== 0;
}

/**
 * RFC 5321 §5.1: when our own host is one of the MX hosts, only hosts more preferred than it are tried (the
 * others would hand the message back to us); none left means the mail would loop.
 */
export function dropSelfAndLessPreferred(records: readonly MxRecord[], selfName: string | undefined): MxRecord[] {
  if (!selfName) return [...records];
  const self = selfName.toLowerCase().replace(/\.$/, '');
  const mine = records.filter((r) => r.exchange === self).map((r) => r.priority);
  if (mine.length === 0) return [...records];
  const cutoff = Math.min(...mine);
  return records.filter((r) => r.priority < cutoff);
}

export async function resolveRoute(
  resolver: Resolver,
  domain: string,
  random: () => number = Math.random,
  selfName?: string,
): Promise<Route> {
  let records: MxRecord[];
  try {
    records = await resolver.resolveMx(domain);
  } catch (e) {
    if (isTemporaryDnsError(e)) {
      return { kind: 'fail', temporary: true, code: 451, enhanced: '4.4.3', reason: `DNS lookup of MX for ${domain} failed temporarily (${codeOf(e)})` };
    }
    if (isNoRecordsDnsError(e) && codeOf(e) === 'ENODATA') {
      // RFC 5321 §5.1: no MX records → the domain itself is the implicit MX, preference 0.
      return { kind: 'hosts', hosts: [{ name: domain, priority: 0, implicit: true }] };
    }
    return { kind: 'fail', temporary: false, code: 550, enhanced: '5.1.2', reason: `Domain ${domain} does not exist (${codeOf(e)})` };
  }
  if (records.length === 0) return { kind: 'hosts', hosts: [{ name: domain, priority: 0, implicit: true }] };
  if (isNullMx(records)) {
    // RFC 7505 §4.2 and RFC 7504 §2: 556 5.1.10 "domain does not accept mail".
    return { kind: 'fail', temporary: false, code: 556, enhanced: '5.1.10', reason: `Domain ${domain} does not accept mail (null MX)` };
  }
  const ordered = orderMx(records, random);
  const candidates = dropSelfAndLessPreferred(ordered, selfName);
  if (candidates.length === 0) {
    // Postfix says "mail for DOMAIN loops back to myself" and bounces with 5.4.6.
    return { kind: 'fail', temporary: false, code: 554, enhanced: '5.4.6', reason: `Mail for ${domain} loops back to myself (${selfName} is its best MX)` };
  }
  const usable = candidates.filter((r) => !isIpLiteralExchange(r.exchange));
  if (usable.length === 0) {
    return { kind: 'fail', temporary: false, code: 550, enhanced: '5.4.4', reason: `MX records of ${domain} name IP addresses, not hosts` };
  }
  return { kind: 'hosts', hosts: usable.map((r) => ({ name: r.exchange, priority: r.priority, implicit: false })) };
}

export type HostAddresses =
  | { kind: 'addresses'; addresses: string[] }
  | { kind: 'fail'; temporary: boolean; reason: string };

/**
 * Addresses of one host: IPv4 first, then IPv6 (a host without IPv6 connectivity still delivers at once).
 * A name that is already an IP address is its own address.
 */
export async function resolveHostAddresses(resolver: Resolver, host: string): Promise<HostAddresses> {
  if (isIP(host) !== 0) return { kind: 'addresses', addresses: [host] };
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (addresses.length > 0) return { kind: 'addresses', addresses: [...new Set(addresses)] };
  const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const temporary = errors.some((e) => isTemporaryDnsError(e));
  return { kind: 'fail', temporary, reason: `no address for ${host} (${errors.map(codeOf).join(', ') || 'no records'})` };
}

function codeOf(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'error';
}
