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
 * Side effects: none besides memory; time comes from `now` (tests inject a clock).
 */

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

  constructor(opts: LoginThrottleOptions = {}) {
    this.now = opts.now ?? Date.now;
    const { now: _now, ...rest } = opts;
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
  }

  check(ip: string, login: string): ThrottleVerdict {
    const t = this.now();
    const ipEntry = this.peek(this.ips, ip, t);
    const loginEntry = this.peek(this.logins, loginKey(login), t);
    const banned = ipEntry !== undefined && ipEntry.bannedUntil > t;
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
      ipEntry.bannedUntil = t + this.o.banDurationMs;
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

  /** IPs banned right now, with the end of their ban (for an admin command). */
  bannedIps(): Array<{ ip: string; until: Date }> {
    const t = this.now();
    const out: Array<{ ip: string; until: Date }> = [];
    for (const [ip, e] of this.ips) if (e.bannedUntil > t) out.push({ ip, until: new Date(e.bannedUntil) });
    return out;
  }

  /** Number of remembered IPs and accounts (for tests and metrics). */
  get size(): { ips: number; logins: number } {
    return { ips: this.ips.size, logins: this.logins.size };
  }

  private delayFor(e: Entry | undefined): number {
    if (e === undefined || e.consecutive < this.o.freeFailures) return 0;
    const steps = e.consecutive - this.o.freeFailures;
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

function loginKey(login: string): string {
  return login.trim().toLowerCase();
}
