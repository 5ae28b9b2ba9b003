/** DNSBL/DNSWL logic (RFC 5782): query names, return codes, cache, and timeouts as no answer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsblCheck, dnsListQueryName, listingCodes, parseZoneSpec, type DnsblOptions } from '../../../src/antispam/dnsbl.js';

function err(code: string): Error {
  return Object.assign(new Error(code), { code });
}

function check(zone: Record<string, string[] | 'timeout'>, over: Partial<DnsblOptions> = {}): { c: DnsblCheck; asked: string[]; clock: { t: number } } {
  const asked: string[] = [];
  const clock = { t: 0 };
  const c = new DnsblCheck({
    blocklists: ['bl.test'],
    allowlists: [],
    action: 'reject',
    threshold: 1,
    cacheTtlMs: 60_000,
    now: () => clock.t,
    resolve4: async (name) => {
      asked.push(name);
      const a = zone[name];
      if (a === 'timeout') throw err('ETIMEOUT');
      if (a === undefined) throw err('ENOTFOUND');
      return a;
    },
    ...over,
  });
  return { c, asked, clock };
}

describe('DNS list query names', () => {
  it('reverses IPv4 octets and IPv6 nibbles (RFC 5782 §2.1, §2.4)', () => {
    assert.equal(dnsListQueryName('192.0.2.99', 'bl.test'), '99.2.0.192.bl.test');
    assert.equal(dnsListQueryName('::ffff:192.0.2.99', 'bl.test'), '99.2.0.192.bl.test');
    assert.equal(
      dnsListQueryName('2001:db8:1:2:3:4:567:89ab', 'bl.test'),
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test',
    );
  });

  it('parses zone specs with return codes', () => {
    assert.deepEqual(parseZoneSpec('Zen.Test'), { zone: 'zen.test', codes: null });
    assert.deepEqual(parseZoneSpec('zen.test=127.0.0.2,127.0.0.4'), { zone: 'zen.test', codes: ['127.0.0.2', '127.0.0.4'] });
  });

  it('counts 127/8 answers, not error codes or answers outside 127/8', () => {
    assert.deepEqual(listingCodes(['127.0.0.2', '127.255.255.254', '10.0.0.1'], null), ['127.0.0.2']);
    assert.deepEqual(listingCodes(['127.0.0.2', '127.0.0.10'], ['127.0.0.10']), ['127.0.0.10']);
  });
});

describe('DnsblCheck', () => {
  it('rejects a listed client with 554 5.7.1 naming the zone', async () => {
    const { c } = check({ '2.0.0.127.bl.test': ['127.0.0.2'] });
    const v = await c.connect({ ip: '127.0.0.2' });
    assert.equal(v.kind, 'reject');
    assert.equal(v.kind === 'reject' && `${v.error.code} ${v.error.enhanced}`, '554 5.7.1');
    assert.match(v.kind === 'reject' ? v.error.message : '', /bl\.test/);
  });

  it('accepts a client that is not listed, and one whose codes do not count', async () => {
    assert.equal((await check({}).c.connect({ ip: '192.0.2.1' })).kind, 'accept');
    const { c } = check({ '1.2.0.192.bl.test': ['127.0.0.3'] }, { blocklists: ['bl.test=127.0.0.2'] });
    assert.equal((await c.connect({ ip: '192.0.2.1' })).kind, 'accept');
  });

  it('treats a timeout as no answer and does not cache it', async () => {
    const zone: Record<string, string[] | 'timeout'> = { '1.2.0.192.bl.test': 'timeout' };
    const { c, asked } = check(zone);
    assert.equal((await c.connect({ ip: '192.0.2.1' })).kind, 'accept');
    zone['1.2.0.192.bl.test'] = ['127.0.0.2'];
    assert.equal((await c.connect({ ip: '192.0.2.1' })).kind, 'reject');
    assert.equal(asked.length, 2);
  });

  it('caches answers for the TTL, listed or not', async () => {
    const { c, asked, clock } = check({ '2.0.0.127.bl.test': ['127.0.0.2'] });
    await c.connect({ ip: '127.0.0.2' });
    await c.connect({ ip: '127.0.0.2' });
    await c.connect({ ip: '192.0.2.1' });
    await c.connect({ ip: '192.0.2.1' });
    assert.equal(asked.length, 2);
    clock.t = 61_000;
    await c.connect({ ip: '127.0.0.2' });
    assert.equal(asked.length, 3);
  });

  it('lets an allowlisted client pass and reports it', async () => {
    const { c } = check({ '2.0.0.127.bl.test': ['127.0.0.2'], '2.0.0.127.wl.test': ['127.0.10.0'] }, { allowlists: ['wl.test'] });
    const client = { ip: '127.0.0.2' };
    assert.equal((await c.connect(client)).kind, 'accept');
    assert.equal(await c.allowlisted(client), true);
  });

  it('needs threshold listings before acting, and tags instead of rejecting when so configured', async () => {
    const zone = { '2.0.0.127.a.test': ['127.0.0.2'], '2.0.0.127.b.test': ['127.0.0.4'] };
    assert.equal((await check(zone, { blocklists: ['a.test', 'c.test'], threshold: 2 }).c.connect({ ip: '127.0.0.2' })).kind, 'accept');
    const v = await check(zone, { blocklists: ['a.test', 'b.test'], threshold: 2, action: 'tag' }).c.connect({ ip: '127.0.0.2' });
    assert.deepEqual(v, { kind: 'tag', header: 'X-DNSBL: a.test=127.0.0.2; b.test=127.0.0.4\r\n' });
  });

  it('marks the message for Junk when the action is junk', async () => {
    const { c } = check({ '2.0.0.127.bl.test': ['127.0.0.2'] }, { action: 'junk' });
    const client = { ip: '127.0.0.2' };
    assert.equal((await c.connect(client)).kind, 'tag');
    assert.equal(await c.isJunk(client), true);
  });

  it('skips trusted clients without a query', async () => {
    const { c, asked } = check({ '2.0.0.127.bl.test': ['127.0.0.2'] }, { skip: () => true });
    assert.equal((await c.connect({ ip: '127.0.0.2' })).kind, 'accept');
    assert.equal(asked.length, 0);
  });
});
