/** Rate limits and bans: fixed-window counters, per-IP and per-user limits, the dictionary-attack ban. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbuseGuard, RateCounter, type AbuseGuardOptions } from '../../../src/antispam/abuse-guard.js';
import type { Ban } from '../../../src/store/types.js';

function guard(over: Partial<AbuseGuardOptions> = {}): { g: AbuseGuard; bans: Map<string, Ban>; clock: { t: number } } {
  const bans = new Map<string, Ban>();
  const clock = { t: 1_000_000 };
  const g = new AbuseGuard({
    connectionsPerMinute: 2,
    messagesPerMinute: 2,
    userMessagesPerHour: 2,
    userRecipientsPerHour: 2,
    maxUnknownRecipients: 2,
    banMs: 60_000,
    now: () => clock.t,
    store: {
      getBan: async (ip, now) => {
        const b = bans.get(ip);
        return b && b.expiresAt > now ? b : null;
      },
      addBan: async (b) => {
        bans.set(b.ip, b);
      },
    },
    ...over,
  });
  return { g, bans, clock };
}

const code = (v: { kind: string; error?: { code: number; enhanced: string } }): string => (v.kind === 'reject' ? `${v.error!.code} ${v.error!.enhanced}` : 'accept');

describe('RateCounter', () => {
  it('counts per key in fixed windows and stays bounded', () => {
    const c = new RateCounter(1000, 2);
    assert.equal(c.hit('a', 0), 1);
    assert.equal(c.hit('a', 999), 2);
    assert.equal(c.hit('a', 1000), 1);
    c.hit('b', 1000);
    c.hit('c', 1000);
    assert.equal(c.peek('a', 1000), 0, 'the oldest key made room');
    assert.equal(c.peek('c', 1000), 1);
  });
});

describe('AbuseGuard', () => {
  it('refuses connections over the per-minute limit with 421 4.7.0, and again after a minute accepts', async () => {
    const { g, clock } = guard();
    assert.equal(code(await g.connect({ ip: '192.0.2.1' })), 'accept');
    assert.equal(code(await g.connect({ ip: '::ffff:192.0.2.1' })), 'accept');
    assert.equal(code(await g.connect({ ip: '192.0.2.1' })), '421 4.7.0');
    assert.equal(code(await g.connect({ ip: '192.0.2.2' })), 'accept');
    clock.t += 60_000;
    assert.equal(code(await g.connect({ ip: '192.0.2.1' })), 'accept');
  });

  it('limits messages per IP and per authenticated user', async () => {
    const { g } = guard();
    for (let i = 0; i < 2; i++) assert.equal(code(await g.mailFrom({ ip: '192.0.2.1' })), 'accept');
    assert.equal(code(await g.mailFrom({ ip: '192.0.2.1' })), '451 4.7.1');
    for (let i = 0; i < 2; i++) assert.equal(code(await g.mailFrom({ ip: '192.0.2.1', authUser: 'U@x.test' })), 'accept');
    assert.equal(code(await g.mailFrom({ ip: '198.51.100.1', authUser: 'u@x.test' })), '451 4.7.1');
  });

  it('limits recipients per authenticated user with 452 4.5.3, not unauthenticated ones', async () => {
    const { g } = guard();
    const env = { client: { ip: '192.0.2.1', authUser: 'u@x.test' } };
    assert.equal(code(await g.rcpt({}, env)), 'accept');
    assert.equal(code(await g.rcpt({}, env)), 'accept');
    assert.equal(code(await g.rcpt({}, env)), '452 4.5.3');
    for (let i = 0; i < 5; i++) assert.equal(code(await g.rcpt({}, { client: { ip: '192.0.2.1' } })), 'accept');
  });

  it('bans an IP after too many unknown recipients in one session, until the ban ends', async () => {
    const { g, bans, clock } = guard();
    const client = { ip: '192.0.2.7' };
    assert.equal(await g.unknownRecipient(client), false);
    assert.equal(await g.unknownRecipient(client), true);
    assert.equal(await g.unknownRecipient(client), false, 'one ban per session');
    assert.deepEqual([...bans.keys()], ['192.0.2.7']);
    assert.equal(code(await g.connect({ ip: '192.0.2.7' })), '421 4.7.0');
    clock.t += 60_000;
    assert.equal(code(await g.connect({ ip: '192.0.2.7' })), 'accept');
  });

  it('counts unknown recipients per session, not per IP', async () => {
    const { g, bans } = guard();
    await g.unknownRecipient({ ip: '192.0.2.7' });
    await g.unknownRecipient({ ip: '192.0.2.7' });
    assert.equal(bans.size, 0);
  });

  it('exempts trusted networks from IP limits and bans', async () => {
    const { g, bans } = guard({ skip: (ip) => ip === '10.0.0.1' });
    for (let i = 0; i < 5; i++) assert.equal(code(await g.connect({ ip: '10.0.0.1' })), 'accept');
    for (let i = 0; i < 5; i++) assert.equal(code(await g.mailFrom({ ip: '10.0.0.1' })), 'accept');
    const c = { ip: '10.0.0.1' };
    for (let i = 0; i < 5; i++) await g.unknownRecipient(c);
    assert.equal(bans.size, 0);
  });
});
