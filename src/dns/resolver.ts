/**
 * The `Resolver` interface: every DNS lookup in pochta (SMTP PTR check, queue MX lookup, DNSBL, mailauth's
 * SPF/DKIM/DMARC) goes through it, so tests swap in the fake DNS server and nothing reaches real DNS.
 *
 * Invariants: names are returned as the server sent them, without a trailing dot (node:dns shape). Failures reject
 * with a `DnsError` (./dns-error.ts) whose `code` is the node:dns code: 'ENOTFOUND' for NXDOMAIN, 'ENODATA' for no
 * records of that type, anything else is temporary (`isTemporaryDnsError`).
 *
 * `resolve(name, rrtype)` has the shape of `dns.promises.resolve`; hand it to mailauth as
 * `mailauth.spf({ ..., resolver: toResolveFunction(resolver) })` (mailauth's declared type is narrower than what it
 * reads, so the adapter only changes the type).
 */

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** The record types the string-list overload of `resolve` returns. */
export type NameRrType = 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS';

export interface Resolver {
  resolveMx(name: string): Promise<MxRecord[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  /** Each record is its list of character-strings (RFC 1035 §3.3.14); join them for SPF/DKIM text. */
  resolveTxt(name: string): Promise<string[][]>;
  /** PTR names of an IPv4 or IPv6 address (the in-addr.arpa / ip6.arpa query is built for you). */
  reverse(ip: string): Promise<string[]>;
  resolveCname(name: string): Promise<string[]>;
  /** `dns.promises.resolve` shape, for libraries that take a resolver function (mailauth). */
  resolve(name: string, rrtype: NameRrType): Promise<string[]>;
  resolve(name: string, rrtype: 'MX'): Promise<MxRecord[]>;
  resolve(name: string, rrtype: 'TXT'): Promise<string[][]>;
  resolve(name: string, rrtype: string): Promise<string[] | string[][] | MxRecord[] | unknown[]>;
}

/**
 * The resolver-function type mailauth declares (`DNSResolver`): it says string lists, but mailauth also consumes
 * the MX objects and other node:dns shapes that `resolve` returns.
 */
export type ResolveFunction = (name: string, rrtype: string) => Promise<string[] | string[][]>;

/** `resolver.resolve` typed for mailauth's `resolver` option (the same function; only the declared type narrows). */
export function toResolveFunction(resolver: Resolver): ResolveFunction {
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[] | string[][]>;
}
