/**
 * Rate limits and temporary IP bans for SMTP sessions (the "survive being a target" part of the defence):
 *   - a banned client IP is refused at connect with 421 4.7.0 (temporary: a legitimate server retries later);
 *   - per client IP: connections per minute (421 4.7.0 at connect) and messages per minute (451 4.7.1 at MAIL);
 *   - per authenticated user (a stolen password): messages per hour (451 4.7.1 at MAIL) and recipients per hour
 *     (452 4.5.3 at RCPT, RFC 5321 §4.5.3.1.10);
 *   - a dictionary attack (`unknownRecipient` called `maxUnknownRecipients` times in one session) bans the
 *     client IP for `banMs`; the ban is kept in the store (AbuseStore), so `pochta ban list|rm` sees and lifts it
 *     and it survives restarts.
 * Trusted networks (`skip`) get no IP limits and are never banned; a limit of 0 is off.
 *
 * Counters are in memory, fixed windows per key (`RateCounter`), bounded in size; they reset on restart.
 * `AbuseGuard` is structurally a pipeline `Check` (connect, mailFrom, rcpt). Side effects: store reads at
 * connect (the ban) and a store write when a ban is made.
 */

import { canonicalIp } from '../dns/ip.js';
import { MailError } from '../lib/errors.js';
import type { AbuseStore } from '../store/types.js';

/** Fixed-window counters per key, bounded to `maxKeys` (the oldest keys go first). */
export class RateCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Counts one event for `key` at `now`; returns the count in the current window, this one included. */
  hit(key: string, now: number): number {
    let w = this.windows.get(key);
    if (w === undefined || now - w.start >= this.windowMs) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) {
        const oldest = this.windows.keys().next();
        if (oldest.done !== true) this.windows.delete(oldest.value);
      }
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count;
  }

  /** The count of `key` in its current window (0 when none), without counting. */
  peek(key: string, now: number): number {
    const w = this.windows.get(key);
    return w === undefined || now - w.start >= this.windowMs ? 0 : w.count;
  }
}

export interface AbuseLimits {
  connectionsPerMinute: number;
  messagesPerMinute: number;
  userMessagesPerHour: number;
  userRecipientsPerHour: number;
  /** Unknown recipients in one session before the IP is banned (0: never). */
  maxUnknownRecipients: number;
  banMs: number;
}

export interface AbuseClient {
  ip: string;
  authUser?: string;
}

export type AbuseVerdict = { kind: 'accept' } | { kind: 'reject'; error: MailError };

export interface AbuseGuardOptions extends AbuseLimits {
  store: Pick<AbuseStore, 'getBan' | 'addBan'>;
  skip?: (ip: string) => boolean;
  now?: () => number;
}

const ACCEPT: AbuseVerdict = { kind: 'accept' };

function reject(code: number, enhanced: string, text: string): AbuseVerdict {
  return { kind: 'reject', error: new MailError(text, { code, enhanced, temporary: true }) };
}

export class AbuseGuard {
  readonly name = 'abuse';
  private readonly connections = new RateCounter(60_000);
  private readonly messages = new RateCounter(60_000);
  private readonly userMessages = new RateCounter(3_600_000);
  private readonly userRecipients = new RateCounter(3_600_000);
  private readonly unknown = new WeakMap<AbuseClient, number>();

  constructor(private readonly opts: AbuseGuardOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private exempt(ip: string): boolean {
    return ip === '' || this.opts.skip?.(ip) === true;
  }

  private ipKey(ip: string): string {
    return canonicalIp(ip) ?? ip;
  }

  async connect(client: AbuseClient): Promise<AbuseVerdict> {
    if (this.exempt(client.ip)) return ACCEPT;
    const ip = this.ipKey(client.ip);
    // Fails open: a store problem must not refuse every client (the rate limits still apply).
    const ban = await this.opts.store.getBan(ip, new Date(this.now())).catch(() => null);
    if (ban !== null) return reject(421, '4.7.0', 'Too many errors from your address, try again later');
    const limit = this.opts.connectionsPerMinute;
    if (limit > 0 && this.connections.hit(ip, this.now()) > limit) return reject(421, '4.7.0', 'Too many connections from your address, try again later');
    return ACCEPT;
  }

  async mailFrom(client: AbuseClient): Promise<AbuseVerdict> {
    const now = this.now();
    if (client.authUser !== undefined) {
      const limit = this.opts.userMessagesPerHour;
      if (limit > 0 && this.userMessages.hit(client.authUser.toLowerCase(), now) > limit) {
        return reject(451, '4.7.1', 'Message rate limit exceeded, try again later');
      }
      return ACCEPT;
    }
    if (this.exempt(client.ip)) return ACCEPT;
    const limit = this.opts.messagesPerMinute;
    if (limit > 0 && this.messages.hit(this.ipKey(client.ip), now) > limit) return reject(451, '4.7.1', 'Message rate limit exceeded, try again later');
    return ACCEPT;
  }

  async rcpt(_recipient: unknown, envelope: { client: AbuseClient }): Promise<AbuseVerdict> {
    const user = envelope.client.authUser;
    const limit = this.opts.userRecipientsPerHour;
    // RFC 5321 §4.5.3.1.10: 452 "too many recipients" makes the client retry the rest later.
    if (user !== undefined && limit > 0 && this.userRecipients.hit(user.toLowerCase(), this.now()) > limit) {
      return reject(452, '4.5.3', 'Recipient rate limit exceeded, try again later');
    }
    return ACCEPT;
  }

  /**
   * Counts an unknown recipient of the session of `client`; at the limit the IP is banned for `banMs`.
   * Returns true when this call made the ban.
   */
  async unknownRecipient(client: AbuseClient): Promise<boolean> {
    if (this.opts.maxUnknownRecipients <= 0 || this.exempt(client.ip) || client.authUser !== undefined) return false;
    const n = (this.unknown.get(client) ?? 0) + 1;
    this.unknown.set(client, n);
    if (n !== this.opts.maxUnknownRecipients) return false;
    const now = this.now();
    await this.opts.store.addBan({
      ip: this.ipKey(client.ip),
      reason: `${n} unknown recipients in one session`,
      createdAt: new Date(now),
      expiresAt: new Date(now + this.opts.banMs),
    });
    return true;
  }
}
