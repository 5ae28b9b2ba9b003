/**
 * The directory: who may log in, and where mail for an address goes. `Directory` is the interface the
 * protocols use; `InternalDirectory` implements it over the store's AccountStore (the SQL tables that
 * `pochta user/alias/domain` manage). System and LDAP users come through ConfiguredDirectory (configured-directory.ts).
 *
 * Authentication
 * - Login is the full address, normalised (lower-case, domain A-label). Disabled accounts cannot log in.
 * - A verified-credential cache (auth-cache.ts) skips argon2 for a repeated (login, password) within its TTL;
 *   a hit is re-checked against the account's current hash and enabled flag, so a password change or a
 *   disable takes effect at once.
 * - An unknown login still costs one verify against a dummy hash, so timing does not reveal which
 *   accounts exist.
 * - A hash kept by `pochta import users` (SHA-crypt, bcrypt, Dovecot-prefixed) is replaced by argon2id after
 *   the first successful login (a store write).
 *
 * Recipient resolution (resolveRecipient), in this order for every address reached:
 *   1. exact account (first match wins: an account shadows an alias of the same address);
 *   2. alias, one → many, nested up to MAX_ALIAS_DEPTH; a target may be a remote address (→ `remote`);
 *      a cycle is skipped, and the result is `loop` only when nothing deliverable is left;
 *   3. plus-addressing: `user+tag@d` → account `user@d` (target address keeps the tag), else alias `user@d`;
 *      every character of `plusSeparator` is a separator (Postfix recipient_delimiter semantics);
 *   4. unknown local part: the domain's catch-all address when its policy is 'catch-all' (resolved again,
 *      through aliases; the same domain's catch-all is not applied twice);
 *   5. RFC 5321 §4.5.1 postmaster@<served domain> must always be accepted. Without an account or alias it
 *      goes to (a) the domain's catch-all address, even under policy 'reject', else (b) `opts.postmaster`
 *      (the configured postmaster address), else (c) the oldest enabled account of the domain, else (d) the
 *      oldest enabled account of the server.
 *   Targets are deduplicated by account (the first address reaching an account is kept). More than
 *   `maxTargets` targets or lookups gives `{kind: 'loop', reason: 'fan-out'}` rather than a truncated list.
 *   `postmaster` without a domain (RFC 5321 §4.1.1.3) is mapped by the caller to postmaster@<primary domain>.
 *
 * Side effects: store reads only; the auth cache lives in memory.
 */

import { normalizeAddress as addressKey, normalizeDomain as domainKey, splitPlusAddress } from '../mail/address.js';
import type { Account, AccountStore, Domain } from '../store/types.js';
import { AuthCache, type AuthCacheOptions } from './auth-cache.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';

export interface AuthContext {
  /** Protocol asking (imap, pop3, submission, ...), for logs and later per-protocol policy. */
  protocol?: string;
  remoteIp?: string;
}

export interface ResolvedTarget {
  account: Account;
  /** The address that reached the account (with its +tag if any): used for Delivered-To. */
  address: string;
}

export type RecipientResolution =
  | { kind: 'local'; targets: ResolvedTarget[]; remote: string[] }
  | { kind: 'not-local' }
  | { kind: 'unknown' }
  | { kind: 'disabled' }
  | { kind: 'loop'; reason: 'cycle' | 'depth' | 'fan-out' };

export interface ResolveOptions {
  /** Characters that separate a local part from its tag ("+" by default; "" disables plus-addressing). */
  plusSeparator?: string;
  /** Where postmaster@<served domain> goes when it has no account, alias or catch-all. */
  postmaster?: string;
}

/**
 * Who may log in and where mail goes. authenticate and resolveRecipient THROW a temporary MailError
 * (errors.ts: 454 4.7.0 / 451 4.4.3) when the backing service cannot answer (LDAP down): callers must
 * answer "try again later", never "no such user".
 */
export interface Directory {
  /** The account for these credentials, or null (wrong password, unknown login, disabled account). */
  authenticate(login: string, password: string, ctx?: AuthContext): Promise<Account | null>;
  resolveRecipient(address: string, opts?: ResolveOptions): Promise<RecipientResolution>;
  /** Addresses the account receives mail for and may send as: its own, sendAs, aliases leading to it. */
  addressesOf(account: Account): Promise<string[]>;
  /** True when the domain (U- or A-label) is served here. */
  isLocalDomain(domain: string): Promise<boolean>;
  /** Addresses of the mailing-list groups the account belongs to (LDAP); absent or [] for internal accounts. */
  groupsOf?(account: Account): Promise<string[]>;
}

export interface InternalDirectoryOptions {
  /** Verified-credential cache: TTL (config `auth.cache_ttl`, default 60 s) and size. */
  authCache?: AuthCacheOptions;
  /** Password verifier; defaults to passwords.ts verifyPassword (tests count calls through this seam). */
  verify?: (password: string, hash: string) => Promise<boolean>;
  /** Upper bound on targets (and on addresses looked up) of one expansion. Default 1000. */
  maxTargets?: number;
}

export const MAX_ALIAS_DEPTH = 20;

/** A valid argon2id hash of a random secret: verified against when the login is unknown (equal timing). */
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$iOZHGaGmJ6qMbeDC4InQGQ$SUPK2rC9PZUxrWMcLBEAuCWe1vrcNQsCg4OCyst8ZBc';

interface ExpansionState {
  targets: Map<number, ResolvedTarget>;
  remote: Set<string>;
  done: Set<string>;
  domains: Map<string, Domain | null>;
  lookups: number;
  cycle: boolean;
  depth: boolean;
  fanOut: boolean;
  disabled: boolean;
}

export class InternalDirectory implements Directory {
  readonly cache: AuthCache;
  private readonly verify: (password: string, hash: string) => Promise<boolean>;
  private readonly maxTargets: number;

  constructor(
    private readonly store: AccountStore,
    opts: InternalDirectoryOptions = {},
  ) {
    this.cache = new AuthCache(opts.authCache);
    this.verify = opts.verify ?? verifyPassword;
    this.maxTargets = opts.maxTargets ?? 1000;
  }

  async authenticate(login: string, password: string, _ctx?: AuthContext): Promise<Account | null> {
    const key = addressKey(login);
    if (key === null || password === '') return null;

    const hit = this.cache.lookup(key, password);
    if (hit !== null) {
      const account = await this.store.getAccountById(hit.accountId);
      if (account !== null && account.enabled && account.address === key && account.passwordHash === hit.passwordHash) {
        return account;
      }
      this.cache.forget(key, password); // hash changed, account disabled or removed: verify afresh
    }

    const account = await this.store.getAccount(key);
    if (account === null) {
      await this.verify(password, DUMMY_HASH);
      return null;
    }
    const ok = await this.verify(password, account.passwordHash);
    if (!ok || !account.enabled) return null;
    const current = needsRehash(account.passwordHash) ? await this.rehash(account, password) : account;
    this.cache.remember(key, password, current.id, current.passwordHash);
    return current;
  }

  /** Replaces an imported hash ({SHA512-CRYPT}, bcrypt, ...) by argon2id once the password is known good. */
  private async rehash(account: Account, password: string): Promise<Account> {
    try {
      return await this.store.updateAccount(account.address, { passwordHash: await hashPassword(password) });
    } catch {
      return account; // the old hash keeps working; the next login tries again
    }
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    const d = domainKey(domain);
    return d !== null && (await this.store.getDomain(d)) !== null;
  }

  async resolveRecipient(address: string, opts: ResolveOptions = {}): Promise<RecipientResolution> {
    const key = addressKey(address);
    if (key === null) return { kind: 'unknown' };
    const st: ExpansionState = {
      targets: new Map(),
      remote: new Set(),
      done: new Set(),
      domains: new Map(),
      lookups: 0,
      cycle: false,
      depth: false,
      fanOut: false,
      disabled: false,
    };
    if ((await this.domainOf(splitAddress(key).domain, st)) === null) return { kind: 'not-local' };

    await this.expand(key, 0, [], new Set(), st, opts);

    if (st.fanOut) return { kind: 'loop', reason: 'fan-out' };
    if (st.targets.size > 0 || st.remote.size > 0) {
      return { kind: 'local', targets: [...st.targets.values()], remote: [...st.remote] };
    }
    if (st.depth) return { kind: 'loop', reason: 'depth' };
    if (st.cycle) return { kind: 'loop', reason: 'cycle' };
    if (st.disabled) return { kind: 'disabled' };
    return { kind: 'unknown' };
  }

  async addressesOf(account: Account): Promise<string[]> {
    const out = new Set<string>([account.address, ...account.sendAs]);
    // Reverse alias closure: every alias whose expansion reaches the account's address.
    const reverse = new Map<string, string[]>();
    for (const alias of await this.store.listAliases()) {
      for (const t of alias.targets) {
        const k = addressKey(t);
        if (k === null) continue;
        const list = reverse.get(k) ?? [];
        list.push(alias.address);
        reverse.set(k, list);
      }
    }
    const queue = [account.address];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const a = queue.shift() as string;
      for (const src of reverse.get(a) ?? []) {
        if (seen.has(src)) continue;
        seen.add(src);
        out.add(src);
        queue.push(src);
      }
    }
    return [...out];
  }

  private async domainOf(name: string, st: ExpansionState): Promise<Domain | null> {
    if (st.domains.has(name)) return st.domains.get(name) ?? null;
    const d = await this.store.getDomain(name);
    st.domains.set(name, d);
    return d;
  }

  private addAccount(account: Account, address: string, st: ExpansionState): void {
    if (!account.enabled) {
      st.disabled = true;
      return;
    }
    if (!st.targets.has(account.id)) st.targets.set(account.id, { account, address });
    if (st.targets.size + st.remote.size > this.maxTargets) st.fanOut = true;
  }

  private async expandAll(
    targets: string[],
    depth: number,
    path: string[],
    catchAllUsed: ReadonlySet<string>,
    st: ExpansionState,
    opts: ResolveOptions,
  ): Promise<void> {
    for (const t of targets) {
      if (st.fanOut) return;
      const k = addressKey(t);
      if (k !== null) await this.expand(k, depth + 1, path, catchAllUsed, st, opts);
    }
  }

  /** Expands one normalised address into st (see the module comment for the order). */
  private async expand(
    addr: string,
    depth: number,
    path: string[],
    catchAllUsed: ReadonlySet<string>,
    st: ExpansionState,
    opts: ResolveOptions,
  ): Promise<void> {
    if (st.fanOut) return;
    if (path.includes(addr)) {
      st.cycle = true;
      return;
    }
    if (depth > MAX_ALIAS_DEPTH) {
      st.depth = true;
      return;
    }
    if (st.done.has(addr)) return; // reached twice through different aliases: already expanded
    st.done.add(addr);
    if (++st.lookups > this.maxTargets) {
      st.fanOut = true;
      return;
    }

    const { local, domain } = splitAddress(addr);
    const dom = await this.domainOf(domain, st);
    if (dom === null) {
      st.remote.add(addr);
      if (st.targets.size + st.remote.size > this.maxTargets) st.fanOut = true;
      return;
    }
    const inner = [...path, addr];

    // 1. exact account
    const account = await this.store.getAccount(addr);
    if (account !== null) return this.addAccount(account, addr, st);
    // 2. alias
    const alias = await this.store.getAlias(addr);
    if (alias !== null) return this.expandAll(alias.targets, depth, inner, catchAllUsed, st, opts);

    // 3. plus-addressing: the base is the local part up to the first separator character
    const base = plusBase(local, opts.plusSeparator ?? '+');
    if (base !== null) {
      const baseAddr = `${base}@${domain}`;
      const baseAccount = await this.store.getAccount(baseAddr);
      if (baseAccount !== null) return this.addAccount(baseAccount, addr, st);
      const baseAlias = await this.store.getAlias(baseAddr);
      if (baseAlias !== null) return this.expandAll(baseAlias.targets, depth, inner, catchAllUsed, st, opts);
    }

    // 4. catch-all for an unknown local part
    if (dom.unknownPolicy === 'catch-all' && dom.catchAll !== null && !catchAllUsed.has(domain)) {
      const used = new Set(catchAllUsed).add(domain);
      return this.expandAll([dom.catchAll], depth, inner, used, st, opts);
    }

    // 5. RFC 5321 §4.5.1: postmaster@domain must be accepted
    if (local === 'postmaster') {
      const before = st.targets.size + st.remote.size;
      if (dom.catchAll !== null && !catchAllUsed.has(domain)) {
        await this.expandAll([dom.catchAll], depth, inner, new Set(catchAllUsed).add(domain), st, opts);
      } else if (opts.postmaster !== undefined && addressKey(opts.postmaster) !== addr) {
        await this.expandAll([opts.postmaster], depth, inner, catchAllUsed, st, opts);
      }
      if (st.targets.size + st.remote.size > before) return;
      const oldestEnabled = (list: Account[]): Account | undefined =>
        list.filter((a) => a.enabled).sort((a, b) => a.id - b.id)[0];
      const fallback =
        oldestEnabled(await this.store.listAccounts(domain)) ?? oldestEnabled(await this.store.listAccounts());
      if (fallback !== undefined) this.addAccount(fallback, fallback.address, st);
    }
  }
}

/** Splits a normalised address at its last '@' (a quoted local part may contain '@'). */
function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** The local part before the first separator character, or null when there is no (usable) separator. */
export function plusBase(local: string, separators: string): string | null {
  const { base, detail } = splitPlusAddress(local, separators);
  return detail === null ? null : base;
}
