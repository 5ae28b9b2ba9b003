// NodeResolver against the fake DNS server on 127.0.0.1 (loopback only; no real DNS).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { spf, type DNSResolver } from 'mailauth';
import { NodeResolver } from '../../../src/dns/node-resolver.js';
import { DnsError, isTemporaryDnsError } from '../../../src/dns/dns-error.js';
import { toResolveFunction } from '../../../src/dns/resolver.js';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';

let fake: FakeDns;
let resolver: NodeResolver;

before(async () => {
  fake = await startFakeDns();
  resolver = new NodeResolver({ servers: [fake.server], timeoutMs: 300, tries: 1 });
});
after(async () => {
  resolver.cancel();
  await fake.close();
});
beforeEach(() => fake.clear());

async function rejectsWith(p: Promise<unknown>, code: string): Promise<DnsError> {
  const e = await p.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => err,
  );
  assert.ok(e instanceof DnsError, `not a DnsError: ${String(e)}`);
  assert.equal(e.code, code);
  return e;
}

test('answers A, AAAA, MX, TXT, CNAME and PTR records', async () => {
  fake.add('mx.example.com', 'A', '192.0.2.25');
  fake.add('mx.example.com', 'AAAA', '2001:db8::25');
  fake.add('example.com', 'MX', { exchange: 'mx.example.com', priority: 10 });
  fake.add('example.com', 'MX', '20 backup.example.com');
  fake.add('example.com', 'TXT', 'v=spf1 ip4:192.0.2.0/24 -all');
  fake.add('www.example.com', 'CNAME', 'mx.example.com');
  fake.addPtr('192.0.2.25', 'mx.example.com');
  fake.addPtr('2001:db8::25', 'mx6.example.com');

  assert.deepEqual(await resolver.resolve4('mx.example.com'), ['192.0.2.25']);
  assert.deepEqual(await resolver.resolve6('MX.example.com'), ['2001:db8::25']);
  const mx = await resolver.resolveMx('example.com');
  assert.deepEqual(mx.sort((a, b) => a.priority - b.priority), [
    { exchange: 'mx.example.com', priority: 10 },
    { exchange: 'backup.example.com', priority: 20 },
  ]);
  assert.deepEqual(await resolver.resolveTxt('example.com'), [['v=spf1 ip4:192.0.2.0/24 -all']]);
  assert.deepEqual(await resolver.resolveCname('www.example.com'), ['mx.example.com']);
  assert.deepEqual(await resolver.reverse('192.0.2.25'), ['mx.example.com']);
  assert.deepEqual(await resolver.reverse('2001:db8::25'), ['mx6.example.com']);
});

test('follows a CNAME to the address records', async () => {
  fake.add('www.example.com', 'CNAME', 'host.example.com');
  fake.add('host.example.com', 'A', '192.0.2.80');
  assert.deepEqual(await resolver.resolve4('www.example.com'), ['192.0.2.80']);
});

test('a name that does not exist is ENOTFOUND, a name without that type is ENODATA', async () => {
  fake.add('example.com', 'A', '192.0.2.1');
  fake.add('sel._domainkey.example.com', 'TXT', 'v=DKIM1; p=');
  await rejectsWith(resolver.resolveMx('nowhere.example.com'), 'ENOTFOUND');
  await rejectsWith(resolver.resolveMx('example.com'), 'ENODATA');
  // An empty non-terminal exists (RFC 8020): no data, not NXDOMAIN.
  await rejectsWith(resolver.resolveTxt('_domainkey.example.com'), 'ENODATA');
  const e = await rejectsWith(resolver.resolve4('nowhere.example.com'), 'ENOTFOUND');
  assert.equal(e.temporary, false);
  assert.equal(e.hostname, 'nowhere.example.com');
});

test('setNxdomain answers NXDOMAIN even for a name with records', async () => {
  fake.add('gone.example.com', 'A', '192.0.2.9');
  fake.setNxdomain('gone.example.com');
  await rejectsWith(resolver.resolve4('gone.example.com'), 'ENOTFOUND');
});

test('a server that never answers gives a temporary ETIMEOUT', async () => {
  fake.setTimeout('slow.example.com');
  const started = Date.now();
  const e = await rejectsWith(resolver.resolve4('slow.example.com'), 'ETIMEOUT');
  assert.ok(isTemporaryDnsError(e));
  assert.ok(Date.now() - started < 3000);
});

test('SERVFAIL gives a temporary ESERVFAIL', async () => {
  fake.setServfail('broken.example.com');
  const e = await rejectsWith(resolver.resolveTxt('broken.example.com'), 'ESERVFAIL');
  assert.ok(isTemporaryDnsError(e));
});

test('a server that is not there gives a temporary error, never an answer', async () => {
  const dead = new NodeResolver({ servers: ['127.0.0.1:9'], timeoutMs: 200, tries: 1 });
  const e = await resolverError(dead.resolve4('example.com'));
  assert.ok(isTemporaryDnsError(e), `code ${(e as DnsError).code}`);
});

async function resolverError(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => assert.fail('expected an error'), (e: unknown) => e);
}

test('a 2048-bit DKIM key TXT record survives the 255-byte character-string limit', async () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const record = `v=DKIM1; k=rsa; p=${p}`;
  assert.ok(record.length > 255);
  fake.add('sel._domainkey.example.com', 'TXT', record);
  fake.add('sel._domainkey.example.com', 'TXT', 'second record');
  const txt = await resolver.resolveTxt('sel._domainkey.example.com');
  const joined = txt.map((chunks) => chunks.join('')).sort();
  assert.deepEqual(joined, ['second record', record].sort());
  assert.ok(txt.some((chunks) => chunks.length === 2), 'the long record came back as two character-strings');
});

test('an answer too big for UDP is truncated and retried over TCP', async () => {
  fake.add('big.example.com', 'TXT', 'x'.repeat(1500));
  const txt = await resolver.resolveTxt('big.example.com');
  assert.equal(txt[0].join(''), 'x'.repeat(1500));
  assert.deepEqual(fake.queries.map((q) => q.transport), ['udp', 'tcp']);
});

test('bad server strings are a one-line UserError naming the config key', () => {
  assert.throws(() => new NodeResolver({ servers: ['not an ip'] }), {
    name: 'UserError',
    message: /invalid DNS server .* in dns\.servers in pochta\.toml/,
  });
});

test('an empty server list uses the system resolver', () => {
  const system = new NodeResolver({ servers: [] });
  assert.ok(system.servers().length > 0);
});

test('resolve() plugs into mailauth as its resolver function', async () => {
  fake.add('example.org', 'TXT', 'v=spf1 ip4:192.0.2.0/24 -all');
  const asMailauth: DNSResolver = toResolveFunction(resolver);
  const pass = await spf({ ip: '192.0.2.7', sender: 'a@example.org', helo: 'mx.example.org', mta: 'mx.test', resolver: asMailauth });
  assert.equal(pass.status.result, 'pass');
  const fail = await spf({ ip: '198.51.100.7', sender: 'a@example.org', helo: 'mx.example.org', mta: 'mx.test', resolver: asMailauth });
  assert.equal(fail.status.result, 'fail');
  // A domain without an SPF record: mailauth relies on ENOTFOUND/ENODATA to say "none", not "temperror".
  const none = await spf({ ip: '192.0.2.7', sender: 'a@nospf.example.org', helo: 'mx.example.org', mta: 'mx.test', resolver: asMailauth });
  assert.equal(none.status.result, 'none');
  fake.setServfail('broken.example.org');
  const temp = await spf({ ip: '192.0.2.7', sender: 'a@broken.example.org', helo: 'mx.example.org', mta: 'mx.test', resolver: asMailauth });
  assert.equal(temp.status.result, 'temperror');
});

test('the query log records name, type and transport', async () => {
  fake.add('logged.example.com', 'A', '192.0.2.3');
  await resolver.resolve4('logged.example.com');
  assert.deepEqual(fake.queries, [{ name: 'logged.example.com', type: 'A', transport: 'udp' }]);
});

test('reverse() keeps a timeout temporary instead of reporting it as no PTR', async () => {
  fake.addPtr('192.0.2.99', 'mx.example.com');
  fake.setTimeout('99.2.0.192.in-addr.arpa');
  await rejectsWith(resolver.reverse('192.0.2.99'), 'ETIMEOUT');
  await rejectsWith(resolver.reverse('192.0.2.98'), 'ENOTFOUND');
  await rejectsWith(resolver.reverse('not-an-ip'), 'EBADNAME');
});
