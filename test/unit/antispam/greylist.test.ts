/** Greylisting decisions (RFC 6647): triplet keys, delay, retry window, pass TTL, and who is never greylisted. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientNetwork, decideGreylist, greylistKey, GreylistCheck } from '../../../src/antispam/greylist.js';
import type { GreylistEntry } from '../../../src/store/types.js';

const timing = { delayMs: 300_000, retryWindowMs: 86_400_000, passTtlMs: 35 * 86_400_000 };
const T0 = new Date('2026-11-28T00:00:00Z');
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

describe('greylist keys', () => {
  it('uses the /24 of IPv4 and the /64 of IPv6', () => {
    assert.equal(clientNetwork('192.0.2.77'), '192.0.2.0/24');
    assert.equal(clientNetwork('::ffff:192.0.2.77'), '192.0.2.0/24');
    assert.equal(clientNetwork('2001:db8:a:b:1:2:3:4'), '2001:db8:a:b::/64');
    assert.equal(clientNetwork('nonsense'), null);
    assert.equal(greylistKey('192.0.2.77', 'A@Sender.Test', 'Ivanov@Example.org'), '192.0.2.0/24 a@sender.test ivanov@example.org');
    assert.equal(greylistKey('192.0.2.1', 'x@y', 'r@z'), greylistKey('192.0.2.200', 'x@y', 'r@z'));
  });
});

describe('decideGreylist', () => {
  it('defers a new triplet for the delay', () => {
    const d = decideGreylist('k', null, T0, timing);
    assert.equal(d.kind, 'defer');
    assert.equal(d.kind === 'defer' && d.retryAfterMs, 300_000);
    assert.deepEqual(d.entry, { key: 'k', firstSeen: T0, lastSeen: T0, passed: false, expiresAt: at(86_400) });
  });

  it('defers an early retry and passes one after the delay', () => {
    const first = decideGreylist('k', null, T0, timing).entry;
    const early = decideGreylist('k', first, at(100), timing);
    assert.equal(early.kind, 'defer');
    assert.equal(early.kind === 'defer' && early.retryAfterMs, 200_000);
    const late = decideGreylist('k', early.entry, at(300), timing);
    assert.equal(late.kind, 'pass');
    assert.equal(late.entry.passed, true);
    assert.deepEqual(late.entry.expiresAt, new Date(at(300).getTime() + timing.passTtlMs));
  });

  it('starts over when the retry window has passed', () => {
    const first: GreylistEntry = { key: 'k', firstSeen: T0, lastSeen: T0, passed: false, expiresAt: at(86_400) };
    assert.equal(decideGreylist('k', first, at(86_400), timing).kind, 'defer');
  });

  it('passes a passed triplet at once and renews it', () => {
    const passed: GreylistEntry = { key: 'k', firstSeen: T0, lastSeen: at(300), passed: true, expiresAt: at(1000) };
    const d = decideGreylist('k', passed, at(900), timing);
    assert.equal(d.kind, 'pass');
    assert.deepEqual(d.entry.expiresAt, new Date(at(900).getTime() + timing.passTtlMs));
  });
});

describe('GreylistCheck', () => {
  function memory(): { store: { getGreylistEntry: (k: string, now: Date) => Promise<GreylistEntry | null>; putGreylistEntry: (e: GreylistEntry) => Promise<void> }; map: Map<string, GreylistEntry> } {
    const map = new Map<string, GreylistEntry>();
    return {
      map,
      store: {
        getGreylistEntry: async (k, now) => {
          const e = map.get(k);
          return e && e.expiresAt > now ? e : null;
        },
        putGreylistEntry: async (e) => {
          map.set(e.key, e);
        },
      },
    };
  }
  const env = (ip: string, extra: Record<string, unknown> = {}) => ({ sender: 'a@sender.test', receivedVia: 'smtp', client: { ip, ...extra } });

  it('answers 451 4.7.1 first and accepts after the delay', async () => {
    const { store } = memory();
    let now = T0;
    const c = new GreylistCheck({ ...timing, store, now: () => now });
    const v = await c.rcpt({ address: 'ivanov@example.org' }, env('192.0.2.1'));
    assert.equal(v.kind === 'reject' && `${v.error.code} ${v.error.enhanced} ${v.error.temporary}`, '451 4.7.1 true');
    now = at(301);
    assert.equal((await c.rcpt({ address: 'ivanov@example.org' }, env('192.0.2.9'))).kind, 'accept');
  });

  it('never greylists authenticated, trusted, allowlisted or non-MX mail', async () => {
    const { store, map } = memory();
    const c = new GreylistCheck({ ...timing, store, skip: (ip) => ip === '10.0.0.1', allowlisted: async (cl) => cl.ip === '198.51.100.1' });
    assert.equal((await c.rcpt({ address: 'r@x' }, env('192.0.2.1', { authUser: 'u@x' }))).kind, 'accept');
    assert.equal((await c.rcpt({ address: 'r@x' }, env('10.0.0.1'))).kind, 'accept');
    assert.equal((await c.rcpt({ address: 'r@x' }, env('198.51.100.1'))).kind, 'accept');
    assert.equal((await c.rcpt({ address: 'r@x' }, { ...env('192.0.2.1'), receivedVia: 'lmtp' })).kind, 'accept');
    assert.equal(map.size, 0);
  });
});
