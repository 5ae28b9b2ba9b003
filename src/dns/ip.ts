/**
 * IP address helpers for DNS: canonical text form (for comparing addresses) and the reverse-lookup name
 * (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa). Pure functions.
 *
 * Invariants: an IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack socket reports) is treated as the
 * IPv4 address; IPv6 compares by its 8 expanded groups, so "2001:db8::1" equals "2001:0DB8:0:0::1".
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The 8 groups of an IPv6 address as numbers, or null when `ip` is not IPv6. */
function ipv6Groups(ip: string): number[] | null {
  if (!isIPv6(ip)) return null;
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = text.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups].map((g) => parseInt(g, 16));
  return groups.length === 8 ? groups : null;
}

/** 'ipv4' / 'ipv6' after unmapping, with the canonical text; null when `ip` is not an IP address. */
export function parseIp(ip: string): { family: 4 | 6; address: string } | null {
  if (isIPv4(ip)) return { family: 4, address: ip.split('.').map(Number).join('.') };
  const groups = ipv6Groups(ip);
  if (groups === null) return null;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6], groups[7]];
    return { family: 4, address: [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.') };
  }
  return { family: 6, address: groups.map((g) => g.toString(16)).join(':') };
}

/** Canonical text of an address for equality tests, or null when it is not one. */
export function canonicalIp(ip: string): string | null {
  return parseIp(ip)?.address ?? null;
}

/** True when both strings are the same IP address (IPv4-mapped IPv6 equals its IPv4 address). */
export function sameIp(a: string, b: string): boolean {
  const ca = canonicalIp(a);
  return ca !== null && ca === canonicalIp(b);
}

/** The PTR query name of an address: 1.2.0.192.in-addr.arpa or the 32 nibbles of ip6.arpa. */
export function reverseName(ip: string): string {
  const parsed = parseIp(ip);
  if (parsed === null) throw new TypeError(`not an IP address: ${ip}`);
  // RFC 1035 §3.5: the octets in reverse order under in-addr.arpa.
  if (parsed.family === 4) return parsed.address.split('.').reverse().join('.') + '.in-addr.arpa';
  // RFC 3596 §2.5: every nibble, least significant first, under ip6.arpa.
  const hex = (ipv6Groups(ip) ?? []).map((g) => g.toString(16).padStart(4, '0')).join('');
  return hex.split('').reverse().join('.') + '.ip6.arpa';
}
