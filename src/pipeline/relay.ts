/**
 * Relay policy (RFC 5321 §3.6.2, §7.1): who may send mail to domains this server does not serve.
 * Pure functions, no I/O.
 *
 * - Mail TO a served domain is always accepted for relay purposes (recipient validity is checked apart).
 * - Mail to any other domain needs an authenticated session (submission), a client in `trusted_networks`,
 *   or (optionally) a recent POP3/IMAP login from the same IP (POP-before-SMTP).
 * - Otherwise: 554 5.7.1 "Relay access denied" (Postfix's reply; RFC 3463 §3.8 5.7.1 "delivery not
 *   authorized").
 *
 * Network matching accepts IPv4, IPv6 and IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack listener
 * reports): a mapped address matches IPv4 blocks. Invalid CIDR strings throw a TypeError (config validation
 * rejects them earlier with a readable message).
 */

import { BlockList } from 'node:net';
import { parseIp } from '../dns/ip.js';
import { MailError } from '../lib/errors.js';

/** Compiled form of a list of CIDR blocks (or bare addresses); build once per config load. */
export class NetworkList {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const slash = c.indexOf('/');
      const parsed = parseIp(slash < 0 ? c : c.slice(0, slash));
      const prefixText = slash < 0 ? null : c.slice(slash + 1);
      if (parsed === null || (prefixText !== null && !/^\d{1,3}$/.test(prefixText))) {
        throw new TypeError(`not a CIDR block: ${c}`);
      }
      const rawFamily = (slash < 0 ? c : c.slice(0, slash)).includes(':') ? 6 : 4;
      let prefix = prefixText === null ? (rawFamily === 4 ? 32 : 128) : Number(prefixText);
      if (prefix > (rawFamily === 4 ? 32 : 128)) throw new TypeError(`not a CIDR block: ${c}`);
      // "::ffff:10.0.0.0/104" is an IPv4 block written in IPv6 form: match it as IPv4 /8.
      if (rawFamily === 6 && parsed.family === 4) prefix = Math.max(0, prefix - 96);
      this.list.addSubnet(parsed.address, prefix, parsed.family === 4 ? 'ipv4' : 'ipv6');
    }
    this.size = cidrs.length;
  }

  has(ip: string): boolean {
    const parsed = parseIp(ip);
    if (parsed === null) return false;
    return this.list.check(parsed.address, parsed.family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** True when `ip` lies in one of `cidrs`. For repeated checks build a NetworkList once instead. */
export function isTrustedNetwork(ip: string, cidrs: readonly string[] | NetworkList): boolean {
  const list = cidrs instanceof NetworkList ? cidrs : new NetworkList(cidrs);
  return list.has(ip);
}

export interface RelayFacts {
  recipientDomainIsLocal: boolean;
  authenticated: boolean;
  trusted: boolean;
  popBeforeSmtp?: boolean;
}

export type RelayDecision =
  | { allowed: true; reason: 'local-domain' | 'authenticated' | 'trusted-network' | 'pop-before-smtp' }
  | { allowed: false; error: MailError };

export function relayDecision(facts: RelayFacts): RelayDecision {
  if (facts.recipientDomainIsLocal) return { allowed: true, reason: 'local-domain' };
  if (facts.authenticated) return { allowed: true, reason: 'authenticated' };
  if (facts.trusted) return { allowed: true, reason: 'trusted-network' };
  if (facts.popBeforeSmtp === true) return { allowed: true, reason: 'pop-before-smtp' };
  return {
    allowed: false,
    error: new MailError('Relay access denied', { code: 554, enhanced: '5.7.1', temporary: false }),
  };
}
