/**
 * The LDAP directory (OpenLDAP, Active Directory) through ldapts: users and mailing-list groups found by
 * address with configurable filters, passwords checked by binding as the user, by an LDAP compare, or by
 * reading the stored hash and verifying it locally.
 *
 * - Filters are templates; `%s` is the address escaped per RFC 4515 (ldap-filter.ts), so `*)(uid=*` finds
 *   nothing. An address matching more than one user is refused (ambiguous), never guessed.
 * - Password check "bind": look the user up with the service connection, then a simple bind as the entry's
 *   DN on a fresh connection (RFC 4513 §5.1.3). An empty password is refused BEFORE any bind: RFC 4513
 *   §5.1.2 makes it an unauthenticated bind that servers accept.
 * - "compare": an LDAP compare (RFC 4511 §4.10) of password_attribute on the service connection; servers
 *   compare the stored value as is, so only clear-text values match.
 * - "hash" (Dovecot's LDAP passdb with auth_bind = no): the service connection reads password_attribute of
 *   the user's entry (a fresh base-object read on every check, never cached) and ldap-password-hash.ts
 *   verifies the password against each value; any one matching is enough. Values that cannot be verified
 *   (unknown scheme) are refused and reported through onPasswordRefused with their scheme only.
 * - Groups: an entry matching group_filter is a list; its members are the addresses of the member DNs, nested
 *   groups followed by base-object reads up to MAX_NESTING levels, each DN once (so a cycle ends), for both
 *   presets: LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941) is Active Directory only, and the
 *   recursive walk gives the same answer on AD, OpenLDAP and AD look-alikes. groupsOf walks up the same
 *   way (groups whose member is the user, then groups whose member is one of those groups).
 *   A group with more than max_group_members members is refused (temporarily), never truncated; a group
 *   listing more member DNs than that is refused before any member is read.
 * - Addresses of an entry: the mail attribute first, then AD's primary `SMTP:` proxy address, then the
 *   aliases (`smtp:` values, prefix stripped; X500:, SIP: ... ignored). The primary is the first one in a
 *   served domain; a login by another attribute (AD userPrincipalName) maps to that primary.
 * - Lookups (found or not) are cached for cache_ttl seconds, at most 10,000 entries; passwords are not here
 *   (ConfiguredDirectory caches verified logins in the AuthCache, keyed by an HMAC).
 * - Every failure to reach or query the server (refused, timeout, busy, unavailable) becomes
 *   SourceUnavailableError: callers answer "try again later". Logs never see passwords.
 *
 * Side effects: LDAP connections (a pool of `pool_size` for searches, one short-lived per bind check).
 */

import { InvalidCredentialsError, ResultCodeError, type Client, type Entry } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { SourceUnavailableError } from './errors.js';
import { fillFilter } from './ldap-filter.js';
import { verifyAnyStoredPassword } from './ldap-password-hash.js';
import { connectLdap, LdapPool } from './ldap-pool.js';
import type { DirectorySource, DirectoryUser, SourceLookup } from './source.js';

export type LdapPreset = 'openldap' | 'active-directory';
export type LdapPasswordCheck = 'bind' | 'compare' | 'hash';

export interface LdapSourceOptions {
  domains: string[];
  url: string;
  starttls: boolean;
  /** TLS options for ldaps:// and StartTLS (ca, rejectUnauthorized). */
  tls?: ConnectionOptions;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  preset: LdapPreset;
  userFilter?: string;
  groupFilter?: string;
  mailAttribute?: string;
  aliasAttributes?: string[];
  memberAttribute?: string;
  passwordCheck: LdapPasswordCheck;
  /** Attribute holding the password for "compare" and "hash" (default userPassword). */
  passwordAttribute?: string;
  /** Why a password could not be checked in "hash" mode (no readable value, unsupported scheme); no secrets. */
  onPasswordRefused?: (dn: string, reason: string) => void;
  poolSize: number;
  timeoutMs: number;
  cacheTtlMs: number;
  maxGroupMembers: number;
  now?: () => number;
}

interface Preset {
  userFilter: string;
  groupFilter: string;
  mailAttribute: string;
  aliasAttributes: string[];
  memberAttribute: string;
  /** Groups that list a DN (%s) as member; for groupsOf. */
  memberOfFilter: string;
  /** Object class of groups: an entry of this class without members is an empty group, not a recipient. */
  groupClass: string;
}

export const LDAP_PRESETS: Record<LdapPreset, Preset> = {
  openldap: {
    userFilter: '(&(objectClass=inetOrgPerson)(|(mail=%s)(mailAlternateAddress=%s)))',
    groupFilter: '(&(objectClass=groupOfNames)(mail=%s))',
    mailAttribute: 'mail',
    aliasAttributes: ['mailAlternateAddress'],
    memberAttribute: 'member',
    memberOfFilter: '(&(objectClass=groupOfNames)(member=%s))',
    groupClass: 'groupOfNames',
  },
  // Active Directory: proxyAddresses values are "SMTP:primary" / "smtp:alias" (case-insensitive match);
  // userAccountControl bit 2 (ACCOUNTDISABLE) excludes disabled accounts (1.2.840.113556.1.4.803 = bitwise AND).
  'active-directory': {
    userFilter:
      '(&(objectClass=user)(!(objectClass=computer))(!(userAccountControl:1.2.840.113556.1.4.803:=2))(|(userPrincipalName=%s)(mail=%s)(proxyAddresses=smtp:%s)))',
    groupFilter: '(&(objectClass=group)(|(mail=%s)(proxyAddresses=smtp:%s)))',
    mailAttribute: 'mail',
    aliasAttributes: ['proxyAddresses'],
    memberAttribute: 'member',
    // Direct membership only: nesting is walked by groupsOf (no AD-only LDAP_MATCHING_RULE_IN_CHAIN).
    memberOfFilter: '(&(objectClass=group)(member=%s))',
    groupClass: 'group',
  },
};

const MAX_NESTING = 8;
const MAX_CACHE = 10_000;

interface FoundUser {
  dn: string;
  user: DirectoryUser;
}

type Found = { kind: 'user'; found: FoundUser } | { kind: 'group'; dn: string; address: string; memberDns: string[] } | { kind: 'none' };

export class LdapSource implements DirectorySource {
  readonly kind = 'ldap';
  readonly domains: readonly string[];
  private readonly pool: LdapPool;
  private readonly p: Preset;
  private readonly cache = new Map<string, { value: Found | string[]; expires: number }>();
  private readonly now: () => number;

  constructor(private readonly o: LdapSourceOptions) {
    this.domains = o.domains.map((d) => d.toLowerCase());
    const base = LDAP_PRESETS[o.preset];
    this.p = {
      userFilter: o.userFilter ?? base.userFilter,
      groupFilter: o.groupFilter ?? base.groupFilter,
      mailAttribute: o.mailAttribute ?? base.mailAttribute,
      aliasAttributes: o.aliasAttributes ?? base.aliasAttributes,
      memberAttribute: o.memberAttribute ?? base.memberAttribute,
      memberOfFilter: base.memberOfFilter,
      groupClass: base.groupClass,
    };
    this.now = o.now ?? Date.now;
    this.pool = new LdapPool({
      url: o.url,
      starttls: o.starttls,
      tls: o.tls,
      timeoutMs: o.timeoutMs,
      size: o.poolSize,
      bindDn: o.bindDn,
      bindPassword: o.bindPassword,
    });
  }

  async verify(login: string, password: string): Promise<DirectoryUser | null> {
    // RFC 4513 §5.1.2: a simple bind with an empty password is an unauthenticated bind and "succeeds".
    if (password === '' || !this.inDomains(login)) return null;
    const found = await this.find(login);
    if (found.kind !== 'user') return null;
    const { dn, user } = found.found;
    const attr = this.o.passwordAttribute ?? 'userPassword';
    if (this.o.passwordCheck === 'compare') {
      return (await this.guard(() => this.pool.use((c) => c.compare(dn, attr, password)))) ? user : null;
    }
    if (this.o.passwordCheck === 'hash') return (await this.verifyHash(dn, attr, password)) ? user : null;
    let client: Client | null = null;
    try {
      client = await connectLdap({ url: this.o.url, starttls: this.o.starttls, tls: this.o.tls, timeoutMs: this.o.timeoutMs });
      await client.bind(dn, password); // RFC 4513 §5.1.3 name/password authentication
      return user;
    } catch (e) {
      if (e instanceof InvalidCredentialsError) return null;
      throw unavailable(e);
    } finally {
      if (client !== null) void client.unbind().catch(() => undefined);
    }
  }

  /** "hash" mode: read the entry's stored passwords with the service bind and verify them here. */
  private async verifyHash(dn: string, attr: string, password: string): Promise<boolean> {
    const entry = (await this.search('(objectClass=*)', [attr], 1, dn))[0];
    const stored = entry === undefined ? [] : values(entry, attr);
    if (stored.length === 0) {
      this.o.onPasswordRefused?.(dn, `no ${attr} value readable (the bind DN needs read access to ${attr})`);
      return false;
    }
    const { ok, unsupported } = await verifyAnyStoredPassword(password, stored);
    if (!ok && unsupported.length > 0) this.o.onPasswordRefused?.(dn, `unsupported password scheme ${unsupported.join(', ')}`);
    return ok;
  }

  async lookup(address: string): Promise<SourceLookup> {
    if (!this.inDomains(address)) return { kind: 'none' };
    const found = await this.find(address);
    switch (found.kind) {
      case 'none':
        return found;
      case 'user':
        return { kind: 'user', user: found.found.user };
      case 'group':
        return { kind: 'group', address: found.address, members: await this.membersOf(found.dn, found.memberDns) };
    }
  }

  /** Addresses of every group the user belongs to, directly or through nested groups (walked upwards). */
  async groupsOf(address: string): Promise<string[]> {
    const found = await this.find(address);
    if (found.kind !== 'user') return [];
    const key = `groups\0${found.found.dn}`;
    const hit = this.cached(key);
    if (hit !== undefined) return hit as string[];
    const out: string[] = [];
    const seen = new Set<string>([found.found.dn.toLowerCase()]);
    let frontier = [found.found.dn];
    for (let depth = 0; depth <= MAX_NESTING && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const dn of frontier) {
        const groups = await this.search(fillFilter(this.p.memberOfFilter, dn), this.addressAttributes(), this.o.maxGroupMembers);
        for (const g of groups) {
          if (seen.has(g.dn.toLowerCase())) continue; // a cycle of groups: each once
          seen.add(g.dn.toLowerCase());
          next.push(g.dn);
          const first = this.addressesOfEntry(g)[0];
          if (first !== undefined && !out.includes(first)) out.push(first);
        }
      }
      if (out.length > this.o.maxGroupMembers) throw new SourceUnavailableError(`${found.found.dn} is in more than ${this.o.maxGroupMembers} groups`);
      frontier = next;
    }
    this.remember(key, out);
    return out;
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.pool.close();
  }

  private inDomains(address: string): boolean {
    const at = address.lastIndexOf('@');
    return at > 0 && this.domains.includes(address.slice(at + 1).toLowerCase());
  }

  /** The user or group with this address (cached), or none; ambiguity (2+ users) counts as none. */
  private async find(address: string): Promise<Found> {
    const key = `find\0${address.toLowerCase()}`;
    const hit = this.cached(key);
    if (hit !== undefined) return hit as Found;
    const users = await this.search(fillFilter(this.p.userFilter, address), this.addressAttributes(), 2).catch((e: unknown) => {
      if (e instanceof TooManyEntriesError) return [{ dn: '' }, { dn: '' }]; // ambiguous: refused below
      throw e;
    });
    let found: Found = { kind: 'none' };
    if (users.length === 1) {
      const e = users[0] as Entry;
      const user = this.userOf(e, address);
      if (user !== null) found = { kind: 'user', found: { dn: e.dn, user } };
    } else if (users.length === 0 && this.p.groupFilter !== '') {
      const groups = await this.search(fillFilter(this.p.groupFilter, address), [this.p.mailAttribute, this.p.memberAttribute], 2);
      if (groups.length === 1) {
        const g = groups[0] as Entry;
        found = { kind: 'group', dn: g.dn, address: address.toLowerCase(), memberDns: values(g, this.p.memberAttribute) };
      }
    }
    this.remember(key, found);
    return found;
  }

  private addressAttributes(): string[] {
    return [this.p.mailAttribute, ...this.p.aliasAttributes];
  }

  /** An entry's mail addresses, lower-cased and deduplicated: mail, then `SMTP:` (AD primary), then aliases. */
  private addressesOfEntry(e: Entry): string[] {
    const mail: string[] = [];
    const primary: string[] = [];
    const rest: string[] = [];
    for (const attr of this.addressAttributes()) {
      for (const v of values(e, attr)) {
        let addr = v;
        let into = attr.toLowerCase() === this.p.mailAttribute.toLowerCase() ? mail : rest;
        const colon = v.indexOf(':');
        const at = v.indexOf('@');
        if (colon > 0 && (at < 0 || colon < at)) {
          // A typed value (AD proxyAddresses): "SMTP:" is the primary address, "smtp:" an alias; x500:, sip:,
          // x400: ... are not mail addresses.
          const type = v.slice(0, colon);
          if (type.toLowerCase() !== 'smtp') continue;
          if (type === 'SMTP') into = primary;
          addr = v.slice(colon + 1);
        }
        if (addr.includes('@')) into.push(addr.toLowerCase());
      }
    }
    return [...new Set([...mail, ...primary, ...rest])];
  }

  /** A user's addresses, primary (the first one in a served domain) first; null when none is served here. */
  private userOf(e: Entry, asked: string): DirectoryUser | null {
    const all = this.addressesOfEntry(e);
    if (all.length === 0) all.push(asked.toLowerCase());
    const primary = all.find((a) => this.inDomains(a));
    if (primary === undefined) return null;
    return { address: primary, addresses: [primary, ...all.filter((a) => a !== primary)] };
  }

  private async membersOf(groupDn: string, memberDns: string[]): Promise<string[]> {
    const key = `members\0${groupDn}`;
    const hit = this.cached(key);
    if (hit !== undefined) return hit as string[];
    const out = new Set<string>();
    if (memberDns.length <= this.o.maxGroupMembers) {
      const seen = new Set<string>([groupDn.toLowerCase()]);
      await this.expandMembers(memberDns, 0, seen, out);
    }
    if (memberDns.length > this.o.maxGroupMembers || out.size > this.o.maxGroupMembers) {
      throw new SourceUnavailableError(`group ${groupDn} has more than ${this.o.maxGroupMembers} members`);
    }
    const list = [...out];
    this.remember(key, list);
    return list;
  }

  private async expandMembers(dns: string[], depth: number, seen: Set<string>, out: Set<string>): Promise<void> {
    if (depth > MAX_NESTING) return;
    for (const dn of dns) {
      if (out.size > this.o.maxGroupMembers) return;
      const k = dn.toLowerCase();
      if (seen.has(k)) continue;
      seen.add(k);
      const entries = await this.search('(objectClass=*)', [...this.addressAttributes(), this.p.memberAttribute, 'objectClass'], 1, dn);
      const e = entries[0];
      if (e === undefined) continue;
      const nested = values(e, this.p.memberAttribute);
      if (nested.length > 0) {
        await this.expandMembers(nested, depth + 1, seen, out);
        continue;
      }
      const groupClass = this.p.groupClass.toLowerCase();
      if (values(e, 'objectClass').some((c) => c.toLowerCase() === groupClass)) continue; // an empty group
      // A member's delivery address: its primary in a served domain, else its first one (an outside contact).
      const member = this.userOf(e, '')?.address ?? this.addressesOfEntry(e)[0];
      if (member !== undefined && member !== '') out.add(member);
    }
  }

  /** Subtree search under base_dn (or a base-object read of `dn`); a missing object is an empty result. */
  private async search(filter: string, attributes: string[], sizeLimit: number, dn?: string): Promise<Entry[]> {
    return this.guard(async () => {
      try {
        const res = await this.pool.use((c) =>
          c.search(dn ?? this.o.baseDn, {
            scope: dn === undefined ? 'sub' : 'base',
            filter,
            attributes,
            sizeLimit,
            timeLimit: Math.ceil(this.o.timeoutMs / 1000),
          }),
        );
        return res.searchEntries;
      } catch (e) {
        if (e instanceof ResultCodeError && e.code === 32) return []; // noSuchObject (RFC 4511 §4.1.9)
        if (e instanceof ResultCodeError && e.code === 4) throw new TooManyEntriesError(`more than ${sizeLimit} entries match ${filter}`);
        throw e;
      }
    });
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw e instanceof SourceUnavailableError ? e : unavailable(e);
    }
  }

  private cached(key: string): Found | string[] | undefined {
    const e = this.cache.get(key);
    if (e === undefined) return undefined;
    if (e.expires <= this.now()) {
      this.cache.delete(key);
      return undefined;
    }
    return e.value;
  }

  private remember(key: string, value: Found | string[]): void {
    if (this.o.cacheTtlMs <= 0) return;
    this.cache.delete(key);
    while (this.cache.size >= MAX_CACHE) {
      const oldest = this.cache.keys().next();
      if (oldest.done === true) break;
      this.cache.delete(oldest.value);
    }
    this.cache.set(key, { value, expires: this.now() + this.o.cacheTtlMs });
  }
}

function values(e: Entry, attr: string): string[] {
  const want = attr.toLowerCase();
  for (const [k, v] of Object.entries(e)) {
    if (k.toLowerCase() !== want || k === 'dn') continue;
    const list = Array.isArray(v) ? v : [v];
    return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : x));
  }
  return [];
}

/** sizeLimitExceeded (RFC 4511 §4.1.9 code 4): an address matching many users, a group too large. */
class TooManyEntriesError extends SourceUnavailableError {}

function unavailable(e: unknown): SourceUnavailableError {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new SourceUnavailableError(`ldap server unavailable (${what})`, { cause: e });
}
