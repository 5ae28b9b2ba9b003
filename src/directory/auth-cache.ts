/**
 * A short-lived cache of verified credentials, like Dovecot's auth_cache: IMAP clients log in again and again
 * (one connection per folder, reconnects), and each argon2 verify costs ~70 ms of CPU.
 *
 * Invariants:
 * - The password is never stored, not even hashed on its own: the key is HMAC-SHA256 under a random key
 *   made once per process, over (login, password), so a memory dump reveals nothing reusable.
 * - An entry remembers the stored hash it was verified against; the caller drops it when the account's
 *   hash changed (password change), so an old password stops working at once.
 * - Only successful verifications are cached. Entries live `ttlMs`; the cache holds at most `maxEntries`
 *   (the oldest insertion is evicted first).
 *
 * Side effects: none beyond memory; time comes from the injected clock.
 */

import { createHmac, randomBytes } from 'node:crypto';

export interface AuthCacheOptions {
  /** Lifetime of an entry in milliseconds; 0 disables the cache. Default 60 000. */
  ttlMs?: number;
  /** Maximum number of entries. Default 10 000. */
  maxEntries?: number;
  /** Clock in milliseconds (tests inject a fake one). */
  now?: () => number;
}

interface Entry {
  accountId: number;
  passwordHash: string;
  expiresAt: number;
}

export class AuthCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: AuthCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The account id and stored hash a previous successful login with exactly these credentials gave. */
  lookup(login: string, password: string): { accountId: number; passwordHash: string } | null {
    if (this.ttlMs <= 0) return null;
    const k = this.keyOf(login, password);
    const e = this.entries.get(k);
    if (e === undefined) return null;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(k);
      return null;
    }
    return { accountId: e.accountId, passwordHash: e.passwordHash };
  }

  remember(login: string, password: string, accountId: number, passwordHash: string): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    const k = this.keyOf(login, password);
    this.entries.delete(k); // re-insert at the end of the eviction order
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(k, { accountId, passwordHash, expiresAt: this.now() + this.ttlMs });
  }

  forget(login: string, password: string): void {
    this.entries.delete(this.keyOf(login, password));
  }

  clear(): void {
    this.entries.clear();
  }

  private keyOf(login: string, password: string): string {
    // Length-prefix the login so that ("a", "b:c") and ("a:b", "c") can never collide.
    return createHmac('sha256', this.key).update(`${login.length}:${login}\0${password}`, 'utf8').digest('base64');
  }
}
