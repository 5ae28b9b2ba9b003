/**
 * Counting open connections, in total and per client IP, for a listener. Pure bookkeeping: the listener asks
 * `tryAcquire` on accept and calls `release` when the socket closes; the protocol decides what to say to a client
 * over the limit (SMTP `421 4.7.0`, IMAP `* BYE`, POP3 `-ERR [SYS/TEMP]`).
 *
 * Invariants: a refused connection takes no slot; every acquired slot is released exactly once (the listener
 * guards that). IPv4-mapped IPv6 addresses count as their IPv4 address. A limit of 0 or undefined means no limit.
 * Connections without an IP (unix sockets) count toward the total only.
 */
import { canonicalIp } from '../dns/ip.js';

export interface ConnectionLimits {
  /** Open connections on the listener at most; 0 or undefined = unlimited. */
  maxConnections?: number;
  /** Open connections from one client IP at most; 0 or undefined = unlimited. */
  maxPerIp?: number;
}

export type LimitReason = 'total' | 'per-ip';

export class ConnectionLimiter {
  #limits: ConnectionLimits;
  #total = 0;
  readonly #perIp = new Map<string, number>();

  constructor(limits: ConnectionLimits = {}) {
    this.#limits = { ...limits };
  }

  /** New limits apply to the next accept; connections already open stay open. */
  setLimits(limits: ConnectionLimits): void {
    this.#limits = { ...limits };
  }

  get total(): number {
    return this.#total;
  }

  countFor(ip: string | undefined): number {
    const key = ip === undefined ? undefined : (canonicalIp(ip) ?? ip);
    return key === undefined ? 0 : (this.#perIp.get(key) ?? 0);
  }

  /** Takes a slot and returns null, or returns why the connection is over a limit. */
  tryAcquire(ip: string | undefined): LimitReason | null {
    const { maxConnections, maxPerIp } = this.#limits;
    if (maxConnections && this.#total >= maxConnections) return 'total';
    const key = ip === undefined ? undefined : (canonicalIp(ip) ?? ip);
    if (key !== undefined && maxPerIp && (this.#perIp.get(key) ?? 0) >= maxPerIp) return 'per-ip';
    this.#total++;
    if (key !== undefined) this.#perIp.set(key, (this.#perIp.get(key) ?? 0) + 1);
    return null;
  }

  release(ip: string | undefined): void {
    this.#total = Math.max(0, this.#total - 1);
    const key = ip === undefined ? undefined : (canonicalIp(ip) ?? ip);
    if (key === undefined) return;
    const n = (this.#perIp.get(key) ?? 0) - 1;
    if (n > 0) this.#perIp.set(key, n);
    else this.#perIp.delete(key);
  }
}
