/**
 * The registered (organisational) domain of a host name: the public suffix plus one label, e.g.
 * mail.example.co.uk → example.co.uk. Used by the PTR check's `match` mode and anything else that compares
 * "same organisation" names.
 *
 * Uses tldts (the Public Suffix List, ICANN and private sections, the same options mailauth uses for DMARC
 * alignment). tldts is installed as a dependency of mailauth; it is not yet a direct dependency in package.json.
 * Invariants: the result is lower-case without a trailing dot; null for IP literals, bare public suffixes (co.uk),
 * single labels and invalid names. An unknown TLD counts as a one-label suffix (mx.test → mx.test).
 */
import { getDomain } from 'tldts';

export function registeredDomain(name: string): string | null {
  const host = name.trim().toLowerCase().replace(/\.$/, '');
  if (host === '' || host.startsWith('[')) return null;
  return getDomain(host, { allowIcannDomains: true, allowPrivateDomains: true, detectIp: true, validateHostname: true });
}
