/**
 * Greylisting (RFC 6647): the first delivery attempt of a (client network, sender, recipient) triplet is
 * deferred with 451 4.7.1; a retry after `delayMs` and within `retryWindowMs` of the first attempt is accepted
 * and the triplet marked as passed, so that later mail of the triplet passes at once for `passTtlMs` (renewed by
 * each message). The client network is the /24 of an IPv4 address and the /64 of an IPv6 address (RFC 6647
 * §4.1.1: senders retry from another address of the same pool). The null sender is its own sender value.
 *
 * Who passes without a triplet: authenticated users, trusted networks (`skip`), and clients an allowlist
 * (DNSWL) lists (`allowlisted`). Only mail received on an smtp (MX) listener is greylisted.
 *
 * `greylistKey` and `decideGreylist` are pure; `GreylistCheck` (structurally a pipeline `Check`, rcpt phase)
 * reads and writes the entries through the store's `AbuseStore` interface.
 * Side effects: one store read and one write per recipient; an hourly background deletion of expired state.
 */

import { parseIp } from '../dns/ip.js';
import { MailError } from '../lib/errors.js';
import type { AbuseStore, GreylistEntry } from '../store/types.js';

export interface GreylistTiming {
  delayMs: number;
  retryWindowMs: number;
  passTtlMs: number;
}

/** The client network of RFC 6647 §4.1.1: IPv4 /24, IPv6 /64 (null for an unparseable address). */
export function clientNetwork(ip: string): string | null {
  const p = parseIp(ip);
  if (p === null) return null;
  if (p.family === 4) return `${p.address.split('.').slice(0, 3).join('.')}.0/24`;
  // parseIp gives all eight groups, uncompressed.
  return `${p.address.split(':').slice(0, 4).join(':')}::/64`;
}

/** The triplet key: client network, sender and recipient (addresses lower-cased). */
export function greylistKey(ip: string, sender: string, recipient: string): string | null {
  const net = clientNetwork(ip);
  if (net === null) return null;
  return `${net} ${sender.toLowerCase()} ${recipient.toLowerCase()}`;
}

export type GreylistDecision =
  | { kind: 'pass'; entry: GreylistEntry }
  /** `retryAfterMs`: how long until a retry is accepted. */
  | { kind: 'defer'; entry: GreylistEntry; retryAfterMs: number };

/** The decision for a triplet seen at `now`, and the entry to store (pure). */
export function decideGreylist(key: string, existing: GreylistEntry | null, now: Date, t: GreylistTiming): GreylistDecision {
  const ms = now.getTime();
  const fresh = (): GreylistDecision => ({
    kind: 'defer',
    entry: { key, firstSeen: now, lastSeen: now, passed: false, expiresAt: new Date(ms + t.retryWindowMs) },
    retryAfterMs: t.delayMs,
  });
  if (existing === null || existing.expiresAt.getTime() <= ms) return t.delayMs === 0 ? pass(key, now, now, t) : fresh();
  if (existing.passed) return pass(key, existing.firstSeen, now, t);
  const waited = ms - existing.firstSeen.getTime();
  if (waited >= t.delayMs) return pass(key, existing.firstSeen, now, t);
  return { kind: 'defer', entry: { ...existing, lastSeen: now }, retryAfterMs: t.delayMs - waited };
}

function pass(key: string, firstSeen: Date, now: Date, t: GreylistTiming): GreylistDecision {
  return { kind: 'pass', entry: { key, firstSeen, lastSeen: now, passed: true, expiresAt: new Date(now.getTime() + t.passTtlMs) } };
}

/** The shapes of pipeline/types.ts this check uses (antispam sits below pipeline). */
export interface GreylistClient {
  ip: string;
  authUser?: string;
}
export interface GreylistEnvelope {
  sender: string;
  client: GreylistClient;
  receivedVia: string;
}
export type GreylistVerdict = { kind: 'accept' } | { kind: 'reject'; error: MailError };

export interface GreylistOptions extends GreylistTiming {
  store: Pick<AbuseStore, 'getGreylistEntry' | 'putGreylistEntry'> & Partial<Pick<AbuseStore, 'expireAbuseState'>>;
  /** How often expired entries are deleted (in the background of a check; default hourly). */
  sweepEveryMs?: number;
  /** Trusted networks: never greylisted. */
  skip?: (ip: string) => boolean;
  /** DNSWL and the like: never greylisted. */
  allowlisted?: (client: GreylistClient) => Promise<boolean>;
  now?: () => Date;
}

export class GreylistCheck {
  readonly name = 'greylist';

  private lastSweep = 0;

  constructor(private readonly opts: GreylistOptions) {}

  private sweep(now: Date): void {
    const expire = this.opts.store.expireAbuseState;
    if (expire === undefined || now.getTime() - this.lastSweep < (this.opts.sweepEveryMs ?? 3_600_000)) return;
    this.lastSweep = now.getTime();
    // Best effort: a failed sweep is retried at the next interval; reads ignore expired rows anyway.
    expire.call(this.opts.store, now).catch(() => undefined);
  }

  async rcpt(recipient: { address: string }, envelope: Readonly<GreylistEnvelope>): Promise<GreylistVerdict> {
    const client = envelope.client;
    if (envelope.receivedVia !== 'smtp' || client.authUser !== undefined || client.ip === '') return { kind: 'accept' };
    if (this.opts.skip?.(client.ip) === true) return { kind: 'accept' };
    if (this.opts.allowlisted !== undefined && (await this.opts.allowlisted(client))) return { kind: 'accept' };
    const key = greylistKey(client.ip, envelope.sender, recipient.address);
    if (key === null) return { kind: 'accept' };
    const now = (this.opts.now ?? (() => new Date()))();
    this.sweep(now);
    const decision = decideGreylist(key, await this.opts.store.getGreylistEntry(key, now), now, this.opts);
    await this.opts.store.putGreylistEntry(decision.entry);
    if (decision.kind === 'pass') return { kind: 'accept' };
    const seconds = Math.ceil(decision.retryAfterMs / 1000);
    // RFC 6647 §2.1: a temporary failure; RFC 3463 X.7.1 "delivery not authorized".
    return { kind: 'reject', error: new MailError(`Greylisted, please try again in ${seconds} seconds`, { code: 451, enhanced: '4.7.1', temporary: true }) };
  }
}
