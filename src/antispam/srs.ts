/**
 * Sender Rewriting Scheme (SRS), in the format of libsrs2 and postsrsd, so that addresses made here are
 * understood by (and bounces reach through) those implementations with the same secret:
 *
 *   SRS0=HHHH=TT=orig-domain=orig-local@srs-domain          (forwarding an ordinary sender)
 *   SRS1=HHHH=first-hop-domain==HHHH=TT=d=l@srs-domain       (re-forwarding another host's SRS0 address)
 *
 * - HHHH: HMAC-SHA1 keyed by the secret over the LOWER-CASED fields concatenated without separators
 *   (SRS0: timestamp, domain, local; SRS1: first-hop domain, the rest after "SRS0"), base64, first 4 chars.
 * - TT: days since the epoch mod 1024, two base32 characters (A-Z2-7), high 5 bits first.
 * - Reversal checks the hash case-insensitively (a relay may fold case; libsrs2 does the same) against every
 *   secret (the first one signs, the others still verify: key rotation), and the timestamp within `maxAgeDays`.
 *
 * Pure: no I/O; the clock is injectable.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

const SRS0 = 'SRS0';
const SRS1 = 'SRS1';
/** libsrs2 SRSSEP: the separator between the fields. */
const SEP = '=';
/** Characters libsrs2 accepts right after the SRS0/SRS1 tag. */
const TAG_SEPARATORS = '=+-';
const TIME_BASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const TIME_PRECISION_S = 86_400;
const TIME_SLOTS = 1024;
const HASH_LENGTH = 4;

export interface SrsOptions {
  /** Secrets: the first signs, every one verifies. At least one, never empty. */
  secrets: readonly string[];
  /** The domain of the rewritten addresses (must receive mail here). */
  domain: string;
  /** How many days an SRS address stays valid for bounces (postsrsd default 21). */
  maxAgeDays: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export type SrsReverse =
  | { kind: 'ok'; address: string }
  | { kind: 'not-srs' }
  | { kind: 'invalid'; reason: 'syntax' | 'hash' | 'expired' };

/** The first 4 base64 characters of HMAC-SHA1(secret, lowercase(parts joined)). */
export function srsHash(secret: string, parts: readonly string[]): string {
  const h = createHmac('sha1', secret);
  for (const p of parts) h.update(p.toLowerCase(), 'utf8');
  return h.digest('base64').slice(0, HASH_LENGTH);
}

/** The two-character day stamp for `nowMs`. */
export function srsTimestamp(nowMs: number): string {
  const t = Math.floor(nowMs / 1000 / TIME_PRECISION_S) % TIME_SLOTS;
  return `${TIME_BASE[(t >> 5) & 31]}${TIME_BASE[t & 31]}`;
}

/** True when the stamp is at most `maxAgeDays` old at `nowMs` (libsrs2 srs_timestamp_check; wraps at 1024 days). */
export function srsTimestampValid(stamp: string, nowMs: number, maxAgeDays: number): boolean {
  if (stamp.length !== 2) return false;
  let then = 0;
  for (const ch of stamp.toUpperCase()) {
    const off = TIME_BASE.indexOf(ch);
    if (off < 0) return false;
    then = (then << 5) | off;
  }
  let now = Math.floor(nowMs / 1000 / TIME_PRECISION_S) % TIME_SLOTS;
  while (now < then) now += TIME_SLOTS;
  return now <= then + maxAgeDays;
}

function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

function hasTag(local: string, tag: string): boolean {
  return local.length > 5 && local.slice(0, 4).toUpperCase() === tag && TAG_SEPARATORS.includes(local[4] as string);
}

/** True when the local part is an SRS0 or SRS1 address's (whatever its domain). */
export function isSrsLocalPart(local: string): boolean {
  return hasTag(local, SRS0) || hasTag(local, SRS1);
}

function sameHash(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase(), 'utf8');
  const b = Buffer.from(expected.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export class Srs {
  readonly domain: string;
  private readonly secrets: readonly string[];

  constructor(private readonly opts: SrsOptions) {
    if (opts.secrets.length === 0 || opts.secrets.some((s) => s === '')) throw new TypeError('SRS needs a non-empty secret');
    this.secrets = opts.secrets;
    this.domain = opts.domain.toLowerCase();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private sign(parts: readonly string[]): string {
    return srsHash(this.secrets[0] as string, parts);
  }

  private verify(hash: string, parts: readonly string[]): boolean {
    return this.secrets.some((s) => sameHash(hash, srsHash(s, parts)));
  }

  /** True when `address` is at the SRS domain (case-insensitive). */
  isOurs(address: string): boolean {
    const a = splitAddress(address);
    return a !== null && a.domain.toLowerCase() === this.domain;
  }

  /**
   * The SRS form of reverse-path `sender` (libsrs2 srs_forward). '' (the null sender) and addresses without
   * a domain are returned unchanged; the caller decides which senders need rewriting.
   */
  forward(sender: string): string {
    const a = splitAddress(sender);
    if (a === null) return sender;
    if (hasTag(a.local, SRS1)) {
      // SRS1=hash=host=rest: keep the first hop, sign it again with our key.
      const body = a.local.slice(5);
      const i = body.indexOf(SEP);
      const j = i < 0 ? -1 : body.indexOf(SEP, i + 1);
      if (i > 0 && j > i + 1) {
        const host = body.slice(i + 1, j);
        const user = body.slice(j + 1);
        return `${SRS1}${SEP}${this.sign([host, user])}${SEP}${host}${SEP}${user}@${this.domain}`;
      }
    } else if (hasTag(a.local, SRS0)) {
      // Another host's SRS0: point back to it (its own key checks the inner hash).
      const user = a.local.slice(4);
      return `${SRS1}${SEP}${this.sign([a.domain, user])}${SEP}${a.domain}${SEP}${user}@${this.domain}`;
    }
    const stamp = srsTimestamp(this.now());
    return `${SRS0}${SEP}${this.sign([stamp, a.domain, a.local])}${SEP}${stamp}${SEP}${a.domain}${SEP}${a.local}@${this.domain}`;
  }

  /** Where a bounce to `address` goes (libsrs2 srs_reverse): the original sender, or why not. */
  reverse(address: string): SrsReverse {
    const a = splitAddress(address);
    if (a === null || a.domain.toLowerCase() !== this.domain) return { kind: 'not-srs' };
    if (hasTag(a.local, SRS0)) {
      const body = a.local.slice(5);
      const fields: string[] = [];
      let rest = body;
      for (let k = 0; k < 3; k++) {
        const i = rest.indexOf(SEP);
        if (i < 0) return { kind: 'invalid', reason: 'syntax' };
        fields.push(rest.slice(0, i));
        rest = rest.slice(i + 1);
      }
      const [hash, stamp, domain] = fields as [string, string, string];
      if (hash === '' || domain === '' || rest === '') return { kind: 'invalid', reason: 'syntax' };
      if (!this.verify(hash, [stamp, domain, rest])) return { kind: 'invalid', reason: 'hash' };
      if (!srsTimestampValid(stamp, this.now(), this.opts.maxAgeDays)) return { kind: 'invalid', reason: 'expired' };
      return { kind: 'ok', address: `${rest}@${domain}` };
    }
    if (hasTag(a.local, SRS1)) {
      const body = a.local.slice(5);
      const i = body.indexOf(SEP);
      const j = i < 0 ? -1 : body.indexOf(SEP, i + 1);
      if (i <= 0 || j <= i + 1 || j === body.length - 1) return { kind: 'invalid', reason: 'syntax' };
      const hash = body.slice(0, i);
      const host = body.slice(i + 1, j);
      const user = body.slice(j + 1);
      if (!this.verify(hash, [host, user])) return { kind: 'invalid', reason: 'hash' };
      // The first hop's SRS0 address; its own host checks the inner hash and stamp.
      return { kind: 'ok', address: `${SRS0}${user}@${host}` };
    }
    return { kind: 'not-srs' };
  }
}
