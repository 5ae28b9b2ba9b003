/**
 * Failed-login throttling shared by IMAP, POP3 and SMTP AUTH (like Dovecot's auth_failure_delay and anvil
 * penalty). Pure bookkeeping: the protocol asks `check(ip, login)` before verifying a password, waits
 * `delayMs` (or refuses when `banned`), then reports the outcome with `recordFailure` / `recordSuccess`.
 *
 * Policy (defaults in DEFAULTS):
 * - Delay: after `freeFailures` consecutive failures from an IP or against an account, each further attempt
 *   waits `baseDelayMs`, doubling per failure up to `maxDelayMs`. The larger of the IP's and the account's
 *   delay applies. Per account it is only a delay, never a ban, so an attacker cannot lock a user out.
 * - Ban: an IP with `banFailures` failures within `banWindowMs` is refused for `banDurationMs`.
 * - A success resets the account's and the IP's consecutive-failure count (the IP's ban window keeps its
 *   history, so interleaving a valid login does not dodge the ban).
 * - Memory is bounded: at most `maxEntries` IPs and `maxEntries` accounts are remembered (least recently
 *   touched forgotten first), and an entry idle for `forgetAfterMs` with no ban running is dropped.
 *
 * - With `bans` (the store's AbuseStore), a ban is written there with its reason, like the SMTP defence's
 *   (antispam/abuse-guard.ts): `pochta ban list` shows it, it survives a restart, and `pochta ban rm` lifts it.
 *   `check` stays synchronous: it reads a mirror of the store's bans, reloaded every `refreshMs` (so a ban
 *   lifted or made by another process takes effect within that time) and updated at once for bans made here.
 *   A ban the store could not take is kept in memory (reported through `onError`). Any ban in the store
 *   counts, whoever made it (an IP banned for a dictionary attack cannot log in either).
 *
 * Side effects: memory; with `bans`, store writes of new bans and a periodic (unref'd) read of the ban list
 * until `close()`. Time comes from `now` (tests inject a clock).
 */

import { canonicalIp } from '../dns/ip.js';
import type { AbuseStore } from '../store/types.js';

export interface LoginThrottleOptions {
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Consecutive failures answered without delay (default 2). */
  freeFailures?: number;
  /** First delay after the free failures (default 1000 ms), doubled per further failure. */
  baseDelayMs?: number;
  /** Delay cap (default 15 s, Dovecot's auth_failure_delay ceiling). */
  maxDelayMs?: number;
  /** Failures from one IP within banWindowMs that ban it (default 20). */
  banFailures?: number;
  /** Default 10 minutes. */
  banWindowMs?: number;
  /** Default 15 minutes. */
  banDurationMs?: number;
  /** Entries untouched for this long are forgotten (default 30 minutes). */
  forgetAfterMs?: number;
  /** Entries kept per table (IPs, accounts); default 10,000. */
  maxEntries?: number;
}

export interface LoginThrottleStoreOptions {
  /** Where bans are kept and read (AbuseStore); absent: bans live in memory only. */
  bans?: Pick<AbuseStore, 'addBan' | 'listBans'>;
  /** How often the mirror of the store's bans is reloaded (default 2000 ms). */
  refreshMs?: number;
  /** Told when the store could not be written or read (the throttle goes on from memory). */
  onError?: (err: unknown) => void;
}

export interface ThrottleVerdict {
  /** Wait this long before verifying (and answering). */
  delayMs: number;
  /** Refuse without verifying: this IP is banned for now. */
  banned: boolean;
}

interface Entry {
  /** Consecutive failures (reset by a success). */
  consecutive: number;
  /** Recent failure times, oldest first, at most banFailures of them (IP entries only). */
  recent: number[];
  bannedUntil: number;
  touched: number;
}

const DEFAULTS = {
  freeFailures: 2,
  baseDelayMs: 1000,
  maxDelayMs: 15_000,
  banFailures: 20,
  banWindowMs: 10 * 60_000,
  banDurationMs: 15 * 60_000,
  forgetAfterMs: 30 * 60_000,
  maxEntries: 10_000,
};

export class LoginThrottle {
  private readonly now: () => number;
  private readonly o: typeof DEFAULTS;
  /** Maps keep insertion order; an entry is re-inserted on every touch, so the first is the least recent. */
  private readonly ips = new Map<string, Entry>();
  private readonly logins = new Map<string, Entry>();
  private readonly store: LoginThrottleStoreOptions;
  /** The store's bans in force (canonical IP → end, ms), as last read, plus the bans made here since. */
  private storeBans = new Map<string, number>();
  /** Bans made here while a reload of the mirror was running (the reload may predate them). */
  private readonly madeDuringRefresh = new Map<string, number>();
  private inflight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: LoginThrottleOptions = {}, store: LoginThrottleStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.o = { ...DEFAULTS };
    this.configure(opts);
    this.store = store;
    if (store.bans !== undefined) {
      void this.refresh();
      this.timer = setInterval(() => {
        if (this.inflight === null) void this.refresh();
      }, store.refreshMs ?? 2000);
      this.timer.unref();
    }
  }

  /** Replaces the policy (config reload); counters and bans already made stay. */
  configure(opts: LoginThrottleOptions): void {
    const { now: _now, ...rest } = opts;
    Object.assign(this.o, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
  }

  /** Stops the periodic reload of the store's bans. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reloads the mirror of the store's bans now (also done every refreshMs); after one in flight, if any. */
  async refresh(): Promise<void> {
    if (this.store.bans === undefined) return;
    while (this.inflight !== null) await this.inflight;
    this.inflight = this.load();
    try {
      await this.inflight;
    } finally {
      this.inflight = null;
    }
  }

  private async load(): Promise<void> {
    const bans = this.store.bans;
    if (bans === undefined) return;
    this.madeDuringRefresh.clear();
    try {
      const list = await bans.listBans(new Date(this.now()));
      const next = new Map(list.map((b) => [b.ip, b.expiresAt.getTime()] as const));
      for (const [ip, until] of this.madeDuringRefresh) next.set(ip, Math.max(until, next.get(ip) ?? 0));
      // A ban lifted in the store (`pochta ban rm`) also forgives the IP's failures: it may log in at once.
      const t = this.now();
      for (const [ip, until] of this.storeBans) {
        if (until <= t || next.has(ip)) continue;
        for (const [raw, e] of this.ips) {
          if (banKey(raw) === ip) {
            e.consecutive = 0;
            e.recent = [];
            e.bannedUntil = 0;
          }
        }
      }
      this.storeBans = next;
    } catch (err) {
      this.store.onError?.(err);
    }
  }

  check(ip: string, login: string): ThrottleVerdict {
    const t = this.now();
    const ipEntry = this.peek(this.ips, ip, t);
    const loginEntry = this.peek(this.logins, loginKey(login), t);
    const banned = (ipEntry !== undefined && ipEntry.bannedUntil > t) || (this.storeBans.get(banKey(ip)) ?? 0) > t;
    const delayMs = Math.max(this.delayFor(ipEntry), this.delayFor(loginEntry));
    return { delayMs, banned };
  }

  recordFailure(ip: string, login: string): void {
    const t = this.now();
    const ipEntry = this.touch(this.ips, ip, t);
    ipEntry.consecutive++;
    ipEntry.recent.push(t);
    if (ipEntry.recent.length > this.o.banFailures) ipEntry.recent.shift();
    const oldest = ipEntry.recent[0] ?? t;
    if (ipEntry.recent.length >= this.o.banFailures && t - oldest <= this.o.banWindowMs) {
      this.ban(ip, ipEntry, t);
      ipEntry.recent = [];
    }
    this.touch(this.logins, loginKey(login), t).consecutive++;
  }

  recordSuccess(ip: string, login: string): void {
    const t = this.now();
    const ipEntry = this.peek(this.ips, ip, t);
    if (ipEntry !== undefined) ipEntry.consecutive = 0;
    this.logins.delete(loginKey(login));
  }

  /** IPs banned right now, with the end of their ban (memory and the store's mirror). */
  bannedIps(): Array<{ ip: string; until: Date }> {
    const t = this.now();
    const out: Array<{ ip: string; until: Date }> = [];
    for (const [ip, e] of this.ips) if (e.bannedUntil > t) out.push({ ip, until: new Date(e.bannedUntil) });
    for (const [ip, until] of this.storeBans) if (until > t && !out.some((b) => b.ip === ip)) out.push({ ip, until: new Date(until) });
    return out;
  }

  /** Bans `ip` from `t`: in the store when there is one (memory until it has it or when it fails), else in memory. */
  private ban(ip: string, entry: Entry, t: number): void {
    const until = t + this.o.banDurationMs;
    const bans = this.store.bans;
    const key = banKey(ip);
    if (bans === undefined || key === '') {
      entry.bannedUntil = until;
      return;
    }
    this.storeBans.set(key, until);
    if (this.inflight !== null) this.madeDuringRefresh.set(key, until);
    const minutes = Math.max(1, Math.round(this.o.banWindowMs / 60_000));
    bans
      .addBan({ ip: key, reason: `${this.o.banFailures} failed logins within ${minutes} min`, createdAt: new Date(t), expiresAt: new Date(until) })
      .catch((err: unknown) => {
        // Still banned, from memory (not listed by `pochta ban list`); not a ban the store lifted.
        entry.bannedUntil = until;
        if (this.storeBans.get(key) === until) this.storeBans.delete(key);
        this.madeDuringRefresh.delete(key);
        this.store.onError?.(err);
      });
  }

  /** Number of remembered IPs and accounts (for tests and metrics). */
  get size(): { ips: number; logins: number } {
    return { ips: this.ips.size, logins: this.logins.size };
  }

  private delayFor(e: Entry | undefined): number {
    if (e === undefined || e.consecutive === 0 || e.consecutive < this.o.freeFailures) return 0;
    const steps = e.consecutive - Math.max(1, this.o.freeFailures);
    return Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(steps, 30));
  }

  private expired(e: Entry, t: number): boolean {
    return e.bannedUntil <= t && t - e.touched > this.o.forgetAfterMs;
  }

  /** The live entry for key, or undefined (an expired one is removed). */
  private peek(map: Map<string, Entry>, key: string, t: number): Entry | undefined {
    const e = map.get(key);
    if (e !== undefined && this.expired(e, t)) {
      map.delete(key);
      return undefined;
    }
    return e;
  }

  private touch(map: Map<string, Entry>, key: string, t: number): Entry {
    const e = this.peek(map, key, t) ?? { consecutive: 0, recent: [], bannedUntil: 0, touched: t };
    map.delete(key);
    e.touched = t;
    map.set(key, e);
    this.prune(map, t);
    return e;
  }

  private prune(map: Map<string, Entry>, t: number): void {
    for (const [key, e] of map) {
      if (map.size <= this.o.maxEntries && !this.expired(e, t)) break;
      map.delete(key);
    }
  }
}

/** The store's form of a client IP (IPv4-mapped IPv6 as IPv4); '' for none. */
function banKey(ip: string): string {
  return ip === '' ? '' : (canonicalIp(ip) ?? ip);
}

function loginKey(login: string): string {
  return login.trim().toLowerCase();
}
