/**
 * Forward-confirmed reverse DNS, the "iprev" method of RFC 8601 §3: look up the PTR names of the client IP, then
 * the A (IPv4) or AAAA (IPv6) records of each name; a name whose addresses include the IP confirms it.
 *
 * Invariants: a DNS timeout or SERVFAIL never becomes a pass or a fail: when nothing confirmed the IP and some lookup
 * failed temporarily the result is 'temperror' (RFC 8601 §2.7.3). At most MAX_PTR_NAMES names are checked (the same
 * cap as RFC 7208 §5.5). Status 'none' means the IP has no PTR record at all; RFC 8601 §2.7.3 reports that case as
 * "iprev=permerror", so the Authentication-Results writer maps 'none' to 'permerror'.
 * Side effects: DNS queries through the given resolver only.
 */
import { DnsError, isNoRecordsDnsError, isTemporaryDnsError } from './dns-error.js';
import { parseIp, sameIp } from './ip.js';
import type { Resolver } from './resolver.js';

export type IprevStatus = 'pass' | 'fail' | 'none' | 'temperror';

export interface IprevResult {
  status: IprevStatus;
  /** The PTR names of the IP, lower-case, without the trailing dot (all of them, even past the cap). */
  names: string[];
  /** The first PTR name whose forward lookup contains the IP, or null. */
  confirmed: string | null;
}

export const MAX_PTR_NAMES = 10;

function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export async function forwardConfirmedReverse(resolver: Resolver, ip: string): Promise<IprevResult> {
  const parsed = parseIp(ip);
  if (parsed === null) return { status: 'none', names: [], confirmed: null };

  let names: string[];
  try {
    names = [...new Set((await resolver.reverse(parsed.address)).map(normaliseName))];
  } catch (e) {
    if (isNoRecordsDnsError(e)) return { status: 'none', names: [], confirmed: null };
    // Anything else (timeout, SERVFAIL, refused, a broken answer) may succeed later.
    return { status: 'temperror', names: [], confirmed: null };
  }
  if (names.length === 0) return { status: 'none', names: [], confirmed: null };

  // RFC 8601 §3: forward lookup of each name, in the address family of the client IP.
  const checked = names.slice(0, MAX_PTR_NAMES);
  const lookups = await Promise.allSettled(
    checked.map((name) => (parsed.family === 4 ? resolver.resolve4(name) : resolver.resolve6(name))),
  );
  let temporary = false;
  for (let i = 0; i < checked.length; i++) {
    const outcome = lookups[i];
    if (outcome.status === 'fulfilled') {
      if (outcome.value.some((addr) => sameIp(addr, parsed.address))) {
        return { status: 'pass', names, confirmed: checked[i] };
      }
    } else if (isTemporaryDnsError(outcome.reason) || !(outcome.reason instanceof DnsError)) {
      // A permanent DnsError (NXDOMAIN, no A/AAAA, a name that is not valid) only means this name does not confirm.
      temporary = true;
    }
  }
  return { status: temporary ? 'temperror' : 'fail', names, confirmed: null };
}
