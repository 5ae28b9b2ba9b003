/**
 * The LDAP directory (OpenLDAP, Active Directory) through ldapts: users and mailing-list groups found by
 * address with configurable filters, passwords checked by binding as the user (or an LDAP compare).
 *
 * - Filters are templates; `%s` is the address escaped per RFC 4515 (ldap-filter.ts), so `*)(uid=*` finds
 *   nothing. An address matching more than one user is refused (ambiguous), never guessed.
 * - Password check "bind": look the user up with the service connection, then a simple bind as the entry's
 *   DN on a fresh connection (RFC 4513 §5.1.3). An empty password is refused BEFORE any bind: RFC 4513
 *   §5.1.2 makes it an unauthenticated bind that servers accept.
 * - Groups: an entry matching group_filter is a list; its members are the addresses of the member DNs
 *   (openldap: `member` values, nested groups followed up to 8 levels, each group once; active-directory:
 *   one search with LDAP_MATCHING_RULE_IN_CHAIN 1.2.840.113556.1.4.1941, which resolves nesting server-side).
 *   A group with more than max_group_members members is refused (temporarily), never truncated.
 * - Lookups (found or not) are cached for cache_ttl seconds, at most 10,000 entries; passwords are not.
 * - Every failure to reach or query the server (refused, timeout, busy, unavailable) becomes
 *   SourceUnavailableError: callers answer "try again later". Logs never see passwords.
 *
 * Side effects: LDAP connections (a pool of `pool_size` for searches, one short-lived per bind check).
 */

import { InvalidCredentialsError, ResultCodeError, type Client, type Entry } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { SourceUnavailableError } from './errors.js';
import { dnAsFilterValue, fillFilter } from './ldap-filter.js';
import { connectLdap, LdapPool } from './ldap-pool.js';
import type { DirectorySource, DirectoryUser, SourceLookup } from './source.js';

export type LdapPreset = 'openldap' | 'active-directory';

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
  passwordCheck: 'bind' | 'compare';
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
  /** Groups that list a user DN (%s); for groupsOf. */
  memberOfFilter: string;
}

export const LDAP_PRESETS: Record<LdapPreset, Preset> = {
  openldap: {
    userFilter: '(&(objectClass=inetOrgPerson)(|(mail=%s)(mailAlternateAddress=%s)))',
    groupFilter: '(&(objectClass=groupOfNames)(mail=%s))',
    mailAttribute: 'mail',
    aliasAttributes: ['mailAlternateAddress'],
    memberAttribute: 'member',
    memberOfFilter: '(&(objectClass=groupOfNames)(member=%s))',
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
    // LDAP_MATCHING_RULE_IN_CHAIN: every group containing the DN, directly or through nested groups.
    memberOfFilter: '(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=%s))',
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
    if (this.o.passwordCheck === 'compare') {
      return (await this.guard(() => this.pool.use((c) => c.compare(dn, 'userPassword', password)))) ? user : null;
    }
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

  async groupsOf(address: string): Promise<string[]> {
    const found = await this.find(address);
    if (found.kind !== 'user') return [];
    const key = `groups\0${found.found.dn}`;
    const hit = this.cached(key);
    if (hit !== undefined) return hit as string[];
    const filter = fillFilter(this.p.memberOfFilter, found.found.dn);
    const entries = await this.search(filter, [this.p.mailAttribute], this.o.maxGroupMembers);
    const out = entries.flatMap((e) => values(e, this.p.mailAttribute).map((v) => v.toLowerCase()));
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
    const attrs = [this.p.mailAttribute, ...this.p.aliasAttributes];
    const users = await this.search(fillFilter(this.p.userFilter, address), attrs, 2).catch((e: unknown) => {
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

  /** A user's addresses: mail first, then aliases (AD `smtp:` prefixes stripped); primary = first one we serve. */
  private userOf(e: Entry, asked: string): DirectoryUser | null {
    const all: string[] = [];
    for (const attr of [this.p.mailAttribute, ...this.p.aliasAttributes]) {
      for (const v of values(e, attr)) {
        let addr = v;
        const colon = v.indexOf(':');
        const at = v.indexOf('@');
        if (colon > 0 && (at < 0 || colon < at)) {
          // A typed value (AD proxyAddresses): "smtp:" is mail, x500:, sip:, x400: ... are not.
          if (v.slice(0, colon).toLowerCase() !== 'smtp') continue;
          addr = v.slice(colon + 1);
        }
        addr = addr.toLowerCase();
        if (addr.includes('@') && !all.includes(addr)) all.push(addr);
      }
    }
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
    if (this.o.preset === 'active-directory') {
      // One search: every user nested anywhere below the group (LDAP_MATCHING_RULE_IN_CHAIN).
      const filter = `(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=${dnAsFilterValue(groupDn)}))`;
      const entries = await this.search(filter, [this.p.mailAttribute], this.o.maxGroupMembers + 1);
      for (const e of entries) for (const v of values(e, this.p.mailAttribute)) out.add(v.toLowerCase());
    } else {
      const seen = new Set<string>([groupDn.toLowerCase()]);
      await this.expandMembers(memberDns, 0, seen, out);
    }
    if (out.size > this.o.maxGroupMembers) {
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
      const entries = await this.search('(objectClass=*)', [this.p.mailAttribute, this.p.memberAttribute], 1, dn);
      const e = entries[0];
      if (e === undefined) continue;
      const nested = values(e, this.p.memberAttribute);
      if (nested.length > 0) await this.expandMembers(nested, depth + 1, seen, out);
      else for (const v of values(e, this.p.mailAttribute)) out.add(v.toLowerCase());
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
