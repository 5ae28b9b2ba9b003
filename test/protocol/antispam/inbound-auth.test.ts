/**
 * authenticateInbound against the fake DNS: SPF results (RFC 7208 §2.6) for MAIL FROM and HELO, DKIM signed by
 * pochta's own outbound signer (dkim-sign.ts with keys from `pochta dkim generate`), DMARC with alignment, an
 * ARC chain sealed by a forwarding hop, and DNS timeouts that end as temperror rather than a hang.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { authenticate } from 'mailauth';
import { authenticateInbound, decideAuthPolicy, type InboundAuthResult } from '../../../src/antispam/inbound-auth.js';
import { NodeResolver } from '../../../src/dns/node-resolver.js';
import { toResolveFunction } from '../../../src/dns/resolver.js';
import { generateDkimKey, loadDkimKeys, type GeneratedKey } from '../../../src/protocols/smtp/server/dkim-keys.js';
import { dkimSignatures } from '../../../src/protocols/smtp/server/dkim-sign.js';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';

const IP = '192.0.2.10';
const MTA = 'mx.example.org';

function message(from: string, subject = 'hello'): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: ivanov@example.org\r\nSubject: ${subject}\r\nDate: Sat, 28 Nov 2026 01:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@sender.test>\r\n\r\nHello there.\r\n`);
}

describe('inbound authentication (SPF, DKIM, DMARC, ARC) against the fake DNS', () => {
  let dns: FakeDns;
  let dir: string;
  let key: GeneratedKey;
  let fwdKey: GeneratedKey;
  let edKey: GeneratedKey;
  const policy = { dmarcReject: 'reject', dmarcQuarantine: 'junk', spfFail: 'tag' } as const;

  async function signed(domain: string, msg: Buffer): Promise<Buffer> {
    const { headers, errors } = await dkimSignatures(msg, await loadDkimKeys(dir, domain));
    assert.deepEqual(errors, []);
    assert.ok(headers.startsWith('DKIM-Signature:'));
    return Buffer.concat([Buffer.from(headers), msg]);
  }

  function check(msg: Buffer, sender: string, opts: { ip?: string; helo?: string; timeoutMs?: number } = {}): Promise<InboundAuthResult> {
    const resolver = new NodeResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
    return authenticateInbound(
      { message: msg, ip: opts.ip ?? IP, helo: opts.helo ?? 'mail.sender.test', sender },
      { authservId: MTA, resolve: toResolveFunction(resolver), timeoutMs: opts.timeoutMs ?? 5000 },
    );
  }

  before(async () => {
    dns = await startFakeDns();
    dir = await mkdtemp(join(tmpdir(), 'pochta-auth-'));
    key = await generateDkimKey(dir, 'sender.test', 's1', 'rsa');
    fwdKey = await generateDkimKey(dir, 'forwarder.test', 'arc', 'rsa');
    edKey = await generateDkimKey(dir, 'sender.test', 's2', 'ed25519');
  });
  after(async () => {
    await dns.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    dns.clear();
    dns.add(key.txtName, 'TXT', key.txt);
    dns.add(fwdKey.txtName, 'TXT', fwdKey.txt);
    dns.add(edKey.txtName, 'TXT', edKey.txt);
  });

  describe('SPF', () => {
    const cases: Array<[string, string, string]> = [
      ['pass', `v=spf1 ip4:${IP} -all`, 'pass'],
      ['fail', 'v=spf1 ip4:198.51.100.1 -all', 'fail'],
      ['softfail', 'v=spf1 ~all', 'softfail'],
      ['neutral', 'v=spf1 ?all', 'neutral'],
      ['permerror for a malformed record', 'v=spf1 ip4:not-an-address -all', 'permerror'],
    ];
    for (const [name, record, expected] of cases) {
      it(`reports ${name}`, async () => {
        dns.add('sender.test', 'TXT', record);
        const r = await check(message('a@sender.test'), 'a@sender.test');
        assert.equal(r.spf, expected);
        assert.ok(r.entries.some((e) => e.startsWith(`spf=${expected} `) && e.includes('smtp.mailfrom=a@sender.test')), r.entries.join('\n'));
      });
    }

    it('reports none when the domain publishes no SPF record', async () => {
      dns.add('sender.test', 'TXT', 'some other text');
      assert.equal((await check(message('a@sender.test'), 'a@sender.test')).spf, 'none');
    });

    it('reports permerror past the limit of 10 DNS-querying mechanisms (RFC 7208 §4.6.4)', async () => {
      const includes = Array.from({ length: 11 }, (_, i) => `include:i${i}.sender.test`).join(' ');
      dns.add('sender.test', 'TXT', `v=spf1 ${includes} -all`);
      for (let i = 0; i < 11; i++) dns.add(`i${i}.sender.test`, 'TXT', 'v=spf1 ip4:198.51.100.7 -all');
      assert.equal((await check(message('a@sender.test'), 'a@sender.test')).spf, 'permerror');
    });

    it('reports permerror past 2 void lookups (RFC 7208 §4.6.4)', async () => {
      dns.add('sender.test', 'TXT', 'v=spf1 a:v1.sender.test a:v2.sender.test a:v3.sender.test -all');
      assert.equal((await check(message('a@sender.test'), 'a@sender.test')).spf, 'permerror');
    });

    it('reports permerror for an include loop', async () => {
      dns.add('sender.test', 'TXT', 'v=spf1 include:loop.sender.test -all');
      dns.add('loop.sender.test', 'TXT', 'v=spf1 include:sender.test -all');
      assert.equal((await check(message('a@sender.test'), 'a@sender.test')).spf, 'permerror');
    });

    it('reports temperror when the DNS does not answer, within the resolver timeout', async () => {
      dns.setTimeout('sender.test');
      const t0 = Date.now();
      const r = await check(message('a@sender.test'), 'a@sender.test');
      assert.equal(r.spf, 'temperror');
      assert.equal(r.timedOut, false);
      assert.ok(Date.now() - t0 < 4000);
    });

    it('checks the HELO identity separately', async () => {
      dns.add('sender.test', 'TXT', `v=spf1 ip4:${IP} -all`);
      dns.add('mail.sender.test', 'TXT', 'v=spf1 -all');
      const r = await check(message('a@sender.test'), 'a@sender.test');
      assert.equal(r.spf, 'pass');
      assert.equal(r.spfHelo, 'fail');
      assert.ok(r.entries.includes('spf=fail smtp.helo=mail.sender.test'));
    });

    it('checks postmaster@HELO for the null sender', async () => {
      dns.add('mail.sender.test', 'TXT', `v=spf1 ip4:${IP} -all`);
      const r = await check(message('a@sender.test'), '');
      assert.equal(r.spf, 'pass');
      assert.equal(r.spfHelo, null);
    });

    it('unmaps an IPv4-mapped IPv6 client address', async () => {
      dns.add('sender.test', 'TXT', `v=spf1 ip4:${IP} -all`);
      assert.equal((await check(message('a@sender.test'), 'a@sender.test', { ip: `::ffff:${IP}` })).spf, 'pass');
    });
  });

  describe('DKIM', () => {
    it('passes a signature made by our own outbound signer', async () => {
      const r = await check(await signed('sender.test', message('a@sender.test')), 'a@sender.test');
      const s1 = r.dkim.find((d) => d.selector === 's1');
      assert.deepEqual(s1 && [s1.domain, s1.result, s1.aligned], ['sender.test', 'pass', true]);
      assert.ok(r.entries.some((e) => e.startsWith('dkim=pass ') && e.includes('header.i=@sender.test')), r.entries.join('\n'));
    });

    it('does not pass a tampered body', async () => {
      const good = await signed('sender.test', message('a@sender.test'));
      const bad = Buffer.from(good.toString('latin1').replace('Hello there.', 'Hello THERE.'), 'latin1');
      const [d] = (await check(bad, 'a@sender.test')).dkim;
      assert.notEqual(d?.result, 'pass');
      assert.ok(d?.result === 'neutral' || d?.result === 'fail');
    });

    it('gives a defined result for a DKIM-Signature with bad syntax or a key that is not a key', async () => {
      dns.add('bad._domainkey.sender.test', 'TXT', 'v=DKIM1; k=rsa; p=bm90IGEga2V5');
      const bad = Buffer.concat([
        Buffer.from('DKIM-Signature: v=1; a=rsa-sha256; d=sender.test; s=bad; h=from; bh=!!!; b=???\r\nDKIM-Signature: garbage without tags\r\n'),
        message('a@sender.test'),
      ]);
      const r = await check(bad, 'a@sender.test');
      // mailauth skips a field it cannot parse at all; what it reports is a failure kind, never pass.
      assert.ok(r.dkim.length >= 1);
      for (const d of r.dkim) assert.ok(['neutral', 'fail', 'permerror', 'policy', 'none'].includes(d.result), JSON.stringify(r.dkim));
    });

    it('reports none for an unsigned message', async () => {
      const r = await check(message('a@sender.test'), 'a@sender.test');
      assert.equal(r.dkim.length, 1);
      assert.equal(r.dkim[0]?.result, 'none');
    });

    it('reports every signature', async () => {
      const r = await check(await signed('sender.test', message('a@sender.test')), 'a@sender.test');
      assert.deepEqual(r.dkim.map((d) => `${d.selector}=${d.result}`).sort(), ['s1=pass', 's2=pass']);
    });

    it('reports temperror when the key lookup times out', async () => {
      dns.setTimeout(key.txtName);
      const msg = await signed('sender.test', message('a@sender.test'));
      const r = await check(msg, 'a@sender.test');
      assert.ok(r.dkim.some((d) => d.result === 'temperror'), JSON.stringify(r.dkim));
    });
  });

  describe('DMARC', () => {
    it('passes with an aligned DKIM signature although SPF fails', async () => {
      dns.add('sender.test', 'TXT', 'v=spf1 -all');
      dns.add('_dmarc.sender.test', 'TXT', 'v=DMARC1; p=reject');
      const r = await check(await signed('sender.test', message('a@sender.test')), 'a@sender.test');
      assert.equal(r.dmarc?.result, 'pass');
      assert.deepEqual(decideAuthPolicy(r, { ...policy, spfFail: 'reject' }), { kind: 'accept' });
    });

    it('fails with policy reject when nothing aligns, and the policy rejects with 550 5.7.1', async () => {
      dns.add('sender.test', 'TXT', 'v=spf1 -all');
      dns.add('_dmarc.sender.test', 'TXT', 'v=DMARC1; p=reject');
      const r = await check(message('a@sender.test'), 'a@sender.test');
      assert.equal(r.dmarc?.result, 'fail');
      assert.equal(r.dmarc?.policy, 'reject');
      const d = decideAuthPolicy(r, policy);
      assert.equal(d.kind, 'reject');
      assert.equal(d.kind === 'reject' && `${d.error.code} ${d.error.enhanced}`, '550 5.7.1');
    });

    it('fails with policy quarantine, which files to Junk', async () => {
      dns.add('sender.test', 'TXT', `v=spf1 ip4:${IP} -all`);
      dns.add('_dmarc.sender.test', 'TXT', 'v=DMARC1; p=quarantine');
      // SPF passes for the envelope domain, which is not the From: domain: no alignment.
      const r = await check(message('a@sender.test'), 'bounce@other.test');
      assert.equal(r.dmarc?.result, 'fail');
      assert.equal(decideAuthPolicy(r, policy).kind, 'junk');
    });

    it('uses sp= for a subdomain without its own record', async () => {
      dns.add('_dmarc.sender.test', 'TXT', 'v=DMARC1; p=none; sp=reject');
      const r = await check(message('a@news.sender.test'), 'a@news.sender.test');
      assert.equal(r.dmarc?.policy, 'reject');
    });

    it('treats a record with junk tags as a defined result', async () => {
      dns.add('_dmarc.sender.test', 'TXT', 'v=DMARC1; p=bogus; zz=??; pct=abc');
      const r = await check(message('a@sender.test'), 'a@sender.test');
      assert.ok(r.dmarc !== null);
      assert.equal(decideAuthPolicy(r, policy).kind, 'accept');
    });
  });

  describe('ARC', () => {
    it('validates a chain sealed by a forwarding hop (i=1)', async () => {
      dns.add('sender.test', 'TXT', `v=spf1 ip4:${IP} -all`);
      const original = await signed('sender.test', message('a@sender.test', 'arc test'));
      // The forwarder authenticates what it received and seals it (RFC 8617 §5.1).
      const hop = await authenticate(original, {
        ip: IP,
        helo: 'mail.sender.test',
        sender: 'a@sender.test',
        mta: 'mx.forwarder.test',
        resolver: toResolveFunction(new NodeResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 })),
        disableBimi: true,
        seal: { signingDomain: 'forwarder.test', selector: 'arc', privateKey: (await loadDkimKeys(dir, 'forwarder.test'))[0]!.privateKey },
      });
      assert.match(hop.headers, /ARC-Seal: i=1/);
      const forwarded = Buffer.concat([Buffer.from(hop.headers), original]);
      const r = await check(forwarded, 'srs0=x@forwarder.test', { ip: '203.0.113.5', helo: 'mx.forwarder.test' });
      assert.equal(r.arc, 'pass');
      assert.ok(r.entries.some((e) => e.startsWith('arc=pass')), r.entries.join('\n'));
    });

    it('reports arc=fail for a broken seal', async () => {
      const original = await signed('sender.test', message('a@sender.test', 'arc broken'));
      const hop = await authenticate(original, {
        ip: IP,
        mta: 'mx.forwarder.test',
        resolver: toResolveFunction(new NodeResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 })),
        disableBimi: true,
        seal: { signingDomain: 'forwarder.test', selector: 'arc', privateKey: (await loadDkimKeys(dir, 'forwarder.test'))[0]!.privateKey },
      });
      const forwarded = Buffer.concat([Buffer.from(hop.headers.replace(/ARC-Seal: i=1; /, 'ARC-Seal: i=1; x=1; ')), original]);
      const r = await check(forwarded, 'x@forwarder.test');
      assert.equal(r.arc, 'fail');
    });
  });

  // Issue 7 "Bad input": each of these ends in a defined result, in bounded time, never a throw.
  describe('bad input', () => {
    const DEFINED = ['pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror'];

    it('reports permerror for two SPF records (RFC 7208 §4.5) and for an unknown mechanism', async () => {
      dns.add('sender.test', 'TXT', `v=spf1 ip4:${IP} -all`);
      dns.add('sender.test', 'TXT', 'v=spf1 -all');
      assert.equal((await check(message('a@sender.test'), 'a@sender.test')).spf, 'permerror');
      dns.remove('sender.test');
      dns.add('sender.test', 'TXT', `v=spf1 frobnicate:${IP} %{z}bad -all`);
      assert.equal((await check(message('a@sender.test'), 'a@sender.test')).spf, 'permerror');
    });

    it('ends a CNAME loop on the SPF and DMARC names with a defined result', async () => {
      dns.add('sender.test', 'CNAME', 'loop.sender.test');
      dns.add('loop.sender.test', 'CNAME', 'sender.test');
      dns.add('_dmarc.sender.test', 'CNAME', '_dmarc.sender.test');
      const t0 = Date.now();
      const r = await check(message('a@sender.test'), 'a@sender.test');
      assert.ok(DEFINED.includes(r.spf), r.spf);
      assert.notEqual(r.spf, 'pass');
      assert.ok(Date.now() - t0 < 4000);
    });

    it('gives a defined, non-pass DKIM result for a huge key record, in bounded time', async () => {
      // 30 kB of key material where a 2048-bit RSA key has 392 bytes.
      const huge = Buffer.alloc(30_000, 0x5a).toString('base64');
      dns.add('huge._domainkey.sender.test', 'TXT', `v=DKIM1; k=rsa; p=${huge}`);
      const msg = await signed('sender.test', message('a@sender.test', 'huge key'));
      const resigned = Buffer.from(msg.toString('latin1').replace(/s=s1;/, 's=huge;'), 'latin1');
      const t0 = Date.now();
      const r = await check(resigned, 'a@sender.test');
      const d = r.dkim.find((x) => x.selector === 'huge');
      assert.ok(d !== undefined, JSON.stringify(r.dkim));
      assert.notEqual(d.result, 'pass');
      assert.ok(['neutral', 'fail', 'permerror', 'temperror', 'policy', 'none'].includes(d.result), d.result);
      assert.ok(Date.now() - t0 < 5000);
    });

    it('treats a DMARC record without v=DMARC1 first, or with a bad p=, as a defined result', async () => {
      dns.add('sender.test', 'TXT', 'v=spf1 -all');
      dns.add('_dmarc.sender.test', 'TXT', 'p=reject; v=DMARC1');
      const r1 = await check(message('a@sender.test'), 'a@sender.test');
      assert.ok(r1.dmarc === null || typeof r1.dmarc.result === 'string');
      assert.notEqual(decideAuthPolicy(r1, policy).kind, 'reject');
    });
  });

  it('bounds the whole run: every method temperror after timeoutMs', async () => {
    dns.setTimeout('sender.test');
    dns.setTimeout('_dmarc.sender.test');
    const t0 = Date.now();
    const r = await check(message('a@sender.test'), 'a@sender.test', { timeoutMs: 100 });
    assert.equal(r.timedOut, true);
    assert.equal(r.spf, 'temperror');
    assert.ok(Date.now() - t0 < 1000);
  });
});
