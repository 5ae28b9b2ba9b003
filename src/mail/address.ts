/**
 * SMTP addresses (RFC 5321 §4.1.2, §4.5.3.1) for the SMTP layer and the CLI.
 *
 * `parseMailbox` validates a Mailbox and returns its local part unquoted (quoted-pairs resolved) and its domain
 * as written; `formatMailbox` puts quotes back where RFC 5321 needs them. UTF-8 is accepted in the local part and
 * domain only with SMTPUTF8 (RFC 6531 §3.3). A source route (`@a,@b:user@c`, RFC 5321 §4.1.2 / Appendix C) is
 * accepted and ignored. `normalizeAddress` gives the canonical key used for lookups: lower-cased local part,
 * A-label (IDNA, via node's UTS-46 `url.domainToASCII`) lower-case domain without a trailing dot.
 * Pure functions, never throw.
 */

import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

export interface Mailbox {
  /** Local part, unquoted: quoted-pairs resolved, surrounding quotes removed. */
  local: string;
  /** Domain as written, or an address literal with its brackets (`[192.0.2.1]`, `[IPv6:2001:db8::1]`). */
  domain: string;
  /** True when the domain is an address literal. */
  isAddressLiteral: boolean;
  /** True when the local part was written as a quoted-string. */
  quoted: boolean;
  /** Source route hops (`@a,@b:`), which RFC 5321 says to ignore; empty when none. */
  sourceRoute: string[];
}

export type MailboxResult = { ok: true; mailbox: Mailbox } | { ok: false; error: string };

export interface ParseMailboxOptions {
  /** Allow UTF-8 in the local part and U-labels in the domain (RFC 6531 SMTPUTF8). */
  smtputf8?: boolean;
}

/** RFC 5321 §4.5.3.1.1 */
export const MAX_LOCAL_PART_OCTETS = 64;
/** RFC 5321 §4.5.3.1.2 */
export const MAX_DOMAIN_OCTETS = 255;
/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets. */
export const MAX_ADDRESS_OCTETS = 254;
/** RFC 1035 §2.3.4 */
const MAX_LABEL_OCTETS = 63;

// RFC 5322 §3.2.3 atext
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
const ATEXT_UTF8 = /^(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|[\u0080-\uffff])+$/;
// RFC 5321 §4.1.2 sub-domain = Let-dig [Ldh-str]
const LDH_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

const NON_ASCII = /[\u0080-\uffff]/;

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function octets(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function fail(error: string): MailboxResult {
  return { ok: false, error };
}

/** RFC 5321 Dot-string: Atom *("." Atom). */
function isDotString(s: string, utf8: boolean): boolean {
  if (s === '') return false;
  const re = utf8 ? ATEXT_UTF8 : ATEXT;
  return s.split('.').every((atom) => re.test(atom));
}

/**
 * RFC 5321 Quoted-string: DQUOTE *QcontentSMTP DQUOTE; returns the unescaped content, or null when invalid.
 * qtextSMTP = %d32-33 / %d35-91 / %d93-126; quoted-pairSMTP = "\" %d32-126; RFC 6531 adds UTF8-non-ascii.
 */
function unquote(s: string, utf8: boolean): string | null {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return null;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) {
      const n = s.charCodeAt(++i);
      if (i >= s.length - 1 || n < 32 || n > 126) return null;
      out += s[i];
    } else if (c === 0x22) {
      return null;
    } else if ((c >= 32 && c <= 126) || (utf8 && c >= 0x80)) {
      out += s[i];
    } else {
      return null;
    }
  }
  return out;
}

/** Whether `d` is a syntactically valid domain name (LDH labels, or U-labels with `utf8`), without a trailing dot. */
export function isValidDomain(d: string, opts: { utf8?: boolean } = {}): boolean {
  if (d === '' || octets(d) > MAX_DOMAIN_OCTETS) return false;
  let ascii = d;
  if (NON_ASCII.test(d)) {
    if (!opts.utf8) return false;
    ascii = domainToASCII(d);
    if (ascii === '' || ascii.length > MAX_DOMAIN_OCTETS) return false;
  }
  const labels = ascii.split('.');
  return labels.every((l) => l.length <= MAX_LABEL_OCTETS && LDH_LABEL.test(l));
}

/** RFC 5321 §4.1.3 address literal, brackets included; returns the canonical form or null. */
function parseAddressLiteral(lit: string): string | null {
  if (!lit.startsWith('[') || !lit.endsWith(']')) return null;
  const inner = lit.slice(1, -1);
  if (/^ipv6:/i.test(inner)) {
    const ip = inner.slice(5);
    return isIPv6(ip) ? `[IPv6:${ip.toLowerCase()}]` : null;
  }
  // IPv4-address-literal = Snum 3("." Snum); General-address-literal tags other than IPv6 are not registered.
  return isIPv4(inner) ? lit : null;
}

/** Splits a leading source route (`@a,@b:`) from a mailbox; the route syntax is checked loosely. */
function splitSourceRoute(input: string): { route: string[]; rest: string } | null {
  if (!input.startsWith('@')) return { route: [], rest: input };
  const colon = input.indexOf(':');
  if (colon === -1) return null;
  const hops = input.slice(0, colon).split(',');
  const route: string[] = [];
  for (const h of hops) {
    const host = h.trim();
    if (!host.startsWith('@') || host.length < 2) return null;
    route.push(host.slice(1));
  }
  return { route, rest: input.slice(colon + 1) };
}

/**
 * Validates an RFC 5321 Mailbox (`local@domain`), optionally with a source route in front (ignored).
 * Angle brackets are not part of a Mailbox: pass what is between them.
 */
export function parseMailbox(input: string, opts: ParseMailboxOptions = {}): MailboxResult {
  const utf8 = opts.smtputf8 === true;
  if (typeof input !== 'string' || input === '') return fail('empty address');
  if (hasControl(input)) return fail('control character in address');
  if (!utf8 && NON_ASCII.test(input)) return fail('non-ASCII address without SMTPUTF8');
  const routed = splitSourceRoute(input);
  if (!routed) return fail('bad source route');
  const { route, rest } = routed;
  for (const hop of route) if (!isValidDomain(hop, { utf8 }) && !parseAddressLiteral(hop)) return fail('bad source route');

  // The domain follows the last "@" (an "@" inside a quoted local part comes earlier).
  const at = rest.lastIndexOf('@');
  if (at <= 0) return fail('missing local part or "@"');
  const rawLocal = rest.slice(0, at);
  const rawDomain = rest.slice(at + 1);
  if (rawDomain === '') return fail('missing domain');

  let local: string;
  let quoted = false;
  if (rawLocal.startsWith('"')) {
    const u = unquote(rawLocal, utf8);
    if (u === null) return fail('bad quoted local part');
    local = u;
    quoted = true;
  } else {
    if (!isDotString(rawLocal, utf8)) return fail('bad local part');
    local = rawLocal;
  }
  // RFC 5321 §4.5.3.1.1: the limit applies to the local part as transmitted.
  if (octets(rawLocal) > MAX_LOCAL_PART_OCTETS) return fail('local part longer than 64 octets');

  let domain = rawDomain;
  let isAddressLiteral = false;
  if (rawDomain.startsWith('[')) {
    const lit = parseAddressLiteral(rawDomain);
    if (!lit) return fail('bad address literal');
    domain = lit;
    isAddressLiteral = true;
  } else if (!isValidDomain(rawDomain, { utf8 })) {
    return fail('bad domain');
  }
  if (octets(rawDomain) > MAX_DOMAIN_OCTETS) return fail('domain longer than 255 octets');
  if (octets(rawLocal) + 1 + octets(rawDomain) > MAX_ADDRESS_OCTETS) return fail('address longer than 254 octets');
  return { ok: true, mailbox: { local, domain, isAddressLiteral, quoted, sourceRoute: route } };
}

/** The local part in wire form: as a Dot-string when it is one, else as a Quoted-string (RFC 5321 §4.1.2). */
export function formatLocalPart(local: string): string {
  if (isDotString(local, true)) return local;
  return `"${local.replace(/(["\\])/g, '\\$1')}"`;
}

/** `local@domain` in wire form, quoting the local part only when needed. */
export function formatMailbox(m: { local: string; domain: string }): string {
  return `${formatLocalPart(m.local)}@${m.domain}`;
}

/**
 * Canonical lower-case A-label form of a domain, without a trailing dot; null when invalid. Address literals
 * are returned canonicalised (`[IPv6:...]` lower-cased hex).
 */
export function normalizeDomain(d: string): string | null {
  let s = d.trim();
  if (s.startsWith('[')) return parseAddressLiteral(s);
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '' || s.includes(' ') || hasControl(s)) return null;
  // UTS-46 mapping (lower-cases, NFC, non-transitional ß), then A-labels; "" on failure.
  const ascii = domainToASCII(s);
  if (ascii === '' || !isValidDomain(ascii)) return null;
  return ascii;
}

/**
 * The lookup key of an address: lower-cased local part (pochta treats local parts case-insensitively, like
 * Postfix virtual mailboxes), A-label lower-case domain, trailing dot removed. UTF-8 is accepted here since
 * the caller has already decided the address may be used. Returns null when invalid.
 */
export function normalizeAddress(addr: string): string | null {
  let s = addr.trim();
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  if (s.endsWith('.') && !s.endsWith('..')) s = s.slice(0, -1);
  const r = parseMailbox(s, { smtputf8: true });
  if (!r.ok) return null;
  const domain = normalizeDomain(r.mailbox.domain);
  if (domain === null) return null;
  const out = `${formatLocalPart(r.mailbox.local.toLowerCase())}@${domain}`;
  return octets(out) > MAX_ADDRESS_OCTETS ? null : out;
}

/**
 * Splits `base+detail` (sub-addressing, RFC 5233) at the first separator character; detail is null when the
 * separator does not occur. A separator at position 0 is not a split (`+foo` has no base).
 */
export function splitPlusAddress(local: string, separator = '+'): { base: string; detail: string | null } {
  if (separator === '') return { base: local, detail: null };
  let idx = -1;
  for (const ch of separator) {
    const i = local.indexOf(ch);
    if (i > 0 && (idx === -1 || i < idx)) idx = i;
  }
  if (idx === -1) return { base: local, detail: null };
  return { base: local.slice(0, idx), detail: local.slice(idx + 1) };
}

/**
 * Flags local parts that ask a host to relay (RFC 5321 §3.6.1, Appendix C): `user%host` (percent hack),
 * `host!user` (UUCP bang path) and a quoted `"user@host"`. Takes the unquoted local part from parseMailbox.
 */
export function localPartRoutingTrick(local: string): 'percent' | 'bang' | 'at' | null {
  if (local.includes('@')) return 'at';
  if (local.includes('%')) return 'percent';
  if (local.includes('!')) return 'bang';
  return null;
}
