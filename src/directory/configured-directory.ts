/**
 * The directory the server uses: each domain's users come from one source (config `[directory]`):
 * a system or LDAP source for the domains it lists, the internal accounts (InternalDirectory) for every
 * other domain.
 *
 * - authenticate: a login `user@domain` goes to that domain's source only (one authority per domain, so a
 *   user present in two sources cannot log in with the other source's password); a bare login `alice`
 *   goes to the system source (if any). Internal domains are unchanged.
 * - Verified directory logins are cached like internal ones, in the internal directory's AuthCache (HMAC of
 *   source, login and password; never the password; TTL `imap.auth_cache_ttl`): a client reconnecting within
 *   the TTL does not cost an LDAP bind or a crypt verify. Only successes are cached (a wrong password always
 *   reaches the source); a hit is honoured only while the account exists, is enabled and still has the
 *   source's marker. The price, as with Dovecot's auth_cache: a password changed in LDAP or /etc/shadow
 *   lets the old one in until its entry expires.
 * - Mailboxes: a directory user gets a store account on first successful login or first delivery
 *   (`provision`): address = the user's primary address, passwordHash = `{EXTERNAL}<source>`, which no
 *   password ever verifies against (passwords.ts). An account the admin disabled stays refused.
 * - resolveRecipient for a directory domain, in order: the source's user (plus-addressing applied to its
 *   local part); the source's group, each member resolved again (nested up to MAX_GROUP_DEPTH, at most
 *   maxTargets targets); otherwise the internal rules (store aliases, catch-all, postmaster), where an
 *   account provisioned for a user who left the source no longer receives mail.
 * - The source unreachable: authenticate throws authUnavailable (SMTP 454, IMAP NO [UNAVAILABLE], POP3
 *   -ERR [SYS/TEMP]); resolveRecipient throws lookupUnavailable (451 4.4.3). Never a permanent "unknown".
 *
 * Side effects: store reads; store writes when provisioning (domain and account); the sources' I/O.
 */

import { normalizeAddress as addressKey, normalizeDomain as domainKey, splitPlusAddress } from '../mail/address.js';
import { isStoreError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Account, AccountStore } from '../store/types.js';
import type { AuthContext, Directory, InternalDirectory, RecipientResolution, ResolveOptions, ResolvedTarget } from './directory.js';
import { authUnavailable, lookupUnavailable, SourceUnavailableError } from './errors.js';
import { externalPasswordMarker, isExternalPassword } from './passwords.js';
import type { DirectorySource, DirectoryUser } from './source.js';

export const MAX_GROUP_DEPTH = 10;

export interface ConfiguredDirectoryOptions {
  log?: Logger;
  /** Upper bound on targets of one resolution (default 1000). */
  maxTargets?: number;
}

export class ConfiguredDirectory implements Directory {
  private readonly byDomain = new Map<string, DirectorySource>();
  private readonly maxTargets: number;

  constructor(
    private readonly store: AccountStore,
    readonly internal: InternalDirectory,
    readonly sources: readonly DirectorySource[],
    private readonly opts: ConfiguredDirectoryOptions = {},
  ) {
    for (const s of sources) for (const d of s.domains) this.byDomain.set(domainKey(d) ?? d, s);
    this.maxTargets = opts.maxTargets ?? 1000;
  }

  /** The external source serving this domain, or undefined for internal domains. */
  sourceFor(domain: string): DirectorySource | undefined {
    const d = domainKey(domain);
    return d === null ? undefined : this.byDomain.get(d);
  }

  async authenticate(login: string, password: string, ctx?: AuthContext): Promise<Account | null> {
    const trimmed = login.trim();
    const at = trimmed.lastIndexOf('@');
    let src: DirectorySource | undefined;
    let name = trimmed;
    if (at < 0) {
      src = this.sources.find((s) => s.kind === 'system');
    } else {
      src = this.sourceFor(trimmed.slice(at + 1));
      name = addressKey(trimmed) ?? trimmed;
    }
    if (src === undefined) return this.internal.authenticate(login, password, ctx);
    const cacheKey = `${src.kind}\0${name}`;
    const hit = this.internal.cache.lookup(cacheKey, password);
    if (hit !== null) {
      const cached = await this.store.getAccountById(hit.accountId);
      if (cached !== null && cached.enabled && cached.passwordHash === hit.passwordHash) return cached;
      this.internal.cache.forget(cacheKey, password); // disabled, removed or made internal: ask the source
    }
    let user: DirectoryUser | null;
    try {
      user = await src.verify(name, password);
    } catch (e) {
      throw this.unavailable(e, src, 'auth');
    }
    if (user === null) return null;
    const account = await this.provision(src, user.address);
    if (!account.enabled) return null;
    this.internal.cache.remember(cacheKey, password, account.id, account.passwordHash);
    return account;
  }

  async resolveRecipient(address: string, opts: ResolveOptions = {}): Promise<RecipientResolution> {
    try {
      return await this.resolveAt(address, opts, 0, new Set());
    } catch (e) {
      if (e instanceof SourceUnavailableError) throw this.unavailable(e, undefined, 'lookup');
      throw e;
    }
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    return this.sourceFor(domain) !== undefined || this.internal.isLocalDomain(domain);
  }

  async addressesOf(account: Account): Promise<string[]> {
    const out = new Set(await this.internal.addressesOf(account));
    const src = this.sourceFor(account.domain);
    if (src !== undefined && isExternalPassword(account.passwordHash)) {
      try {
        const found = await src.lookup(account.address);
        if (found.kind === 'user') for (const a of found.user.addresses) out.add(a);
      } catch (e) {
        throw this.unavailable(e, src, 'lookup');
      }
    }
    return [...out];
  }

  /** Addresses of the mailing-list groups the account belongs to (directory sources only). */
  async groupsOf(account: Account): Promise<string[]> {
    const src = this.sourceFor(account.domain);
    if (src === undefined) return [];
    try {
      return await src.groupsOf(account.address);
    } catch (e) {
      throw this.unavailable(e, src, 'lookup');
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
  }

  /** The store account (mailbox) of a directory user, created on first use. */
  async provision(src: DirectorySource, address: string): Promise<Account> {
    const existing = await this.store.getAccount(address);
    if (existing !== null) return existing;
    const domain = address.slice(address.lastIndexOf('@') + 1);
    await this.ensureDomain(domain);
    try {
      const account = await this.store.createAccount({ address, passwordHash: externalPasswordMarker(src.kind) });
      this.opts.log?.info({ account: address, source: src.kind }, 'mailbox created for directory user');
      return account;
    } catch (e) {
      if (!isStoreError(e, 'exists')) throw e;
      const raced = await this.store.getAccount(address);
      if (raced === null) throw e;
      return raced;
    }
  }

  private async ensureDomain(domain: string): Promise<void> {
    if ((await this.store.getDomain(domain)) !== null) return;
    try {
      await this.store.addDomain({ name: domain });
    } catch (e) {
      if (!isStoreError(e, 'exists')) throw e;
    }
  }

  private async resolveAt(address: string, opts: ResolveOptions, depth: number, seen: Set<string>): Promise<RecipientResolution> {
    const key = addressKey(address);
    const src = key === null ? undefined : this.sourceFor(key.slice(key.lastIndexOf('@') + 1));
    if (key === null || src === undefined) return this.internal.resolveRecipient(address, opts);
    if (seen.has(key)) return { kind: 'loop', reason: 'cycle' };
    if (depth > MAX_GROUP_DEPTH) return { kind: 'loop', reason: 'depth' };
    seen.add(key);

    const at = key.lastIndexOf('@');
    const local = key.slice(0, at);
    const domain = key.slice(at + 1);
    let found = await src.lookup(key);
    if (found.kind === 'none') {
      const { base, detail } = splitPlusAddress(local, opts.plusSeparator ?? '+');
      if (detail !== null) found = await src.lookup(`${base}@${domain}`);
    }
    if (found.kind === 'user') {
      const account = await this.provision(src, found.user.address);
      if (!account.enabled) return { kind: 'disabled' };
      return { kind: 'local', targets: [{ account, address: key }], remote: [] };
    }
    if (found.kind === 'group') return this.resolveGroup(found.members, opts, depth, seen);

    // Not in the source: the internal rules (store aliases, catch-all, postmaster) still apply.
    await this.ensureDomain(domain);
    const res = await this.internal.resolveRecipient(key, opts);
    if (res.kind !== 'local') return res;
    const targets: ResolvedTarget[] = [];
    for (const t of res.targets) if (await this.stillInSource(t.account)) targets.push(t);
    if (targets.length === 0 && res.remote.length === 0) return { kind: 'unknown' };
    return { kind: 'local', targets, remote: res.remote };
  }

  private async resolveGroup(members: string[], opts: ResolveOptions, depth: number, seen: Set<string>): Promise<RecipientResolution> {
    const targets = new Map<number, ResolvedTarget>();
    const remote = new Set<string>();
    let loop: RecipientResolution | null = null;
    for (const m of members) {
      const r = await this.resolveAt(m, opts, depth + 1, seen);
      if (r.kind === 'not-local') {
        const k = addressKey(m);
        if (k !== null) remote.add(k);
      } else if (r.kind === 'local') {
        for (const t of r.targets) if (!targets.has(t.account.id)) targets.set(t.account.id, t);
        for (const a of r.remote) remote.add(a);
      } else if (r.kind === 'loop') {
        loop = r;
      }
      if (targets.size + remote.size > this.maxTargets) return { kind: 'loop', reason: 'fan-out' };
    }
    if (targets.size > 0 || remote.size > 0) return { kind: 'local', targets: [...targets.values()], remote: [...remote] };
    return loop ?? { kind: 'unknown' };
  }

  /** False for an account provisioned by a source that no longer knows its address (user removed). */
  private async stillInSource(account: Account): Promise<boolean> {
    if (!isExternalPassword(account.passwordHash)) return true;
    const src = this.sourceFor(account.domain);
    if (src === undefined) return true;
    return (await src.lookup(account.address)).kind === 'user';
  }

  private unavailable(e: unknown, src: DirectorySource | undefined, what: 'auth' | 'lookup'): Error {
    if (!(e instanceof SourceUnavailableError)) return e instanceof Error ? e : new Error(String(e));
    // The cause names the server and the error, never a password.
    this.opts.log?.warn({ source: src?.kind, err: e.message }, 'directory unavailable');
    return what === 'auth' ? authUnavailable(e) : lookupUnavailable(e);
  }
}
