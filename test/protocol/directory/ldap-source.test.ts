/**
 * LdapSource against a real slapd and a stalling TCP peer: compare-mode passwords, the group size limit,
 * the lookup cache, and a server that accepts connections but never answers (a timeout, not a hang).
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { SourceUnavailableError } from '../../../src/directory/errors.js';
import { LdapSource, type LdapSourceOptions } from '../../../src/directory/ldap-source.js';
import { LDAP_BASE, LDAP_SERVICE_DN, LDAP_SERVICE_PASSWORD, startSlapd, type Slapd } from '../../helpers/slapd.js';

let slapd: Slapd;
const sources: LdapSource[] = [];

before(async () => {
  slapd = await startSlapd();
});
after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await slapd?.close();
});

function source(o: Partial<LdapSourceOptions> = {}): LdapSource {
  const s = new LdapSource({
    domains: ['example.org'],
    url: slapd.url,
    starttls: false,
    bindDn: LDAP_SERVICE_DN,
    bindPassword: LDAP_SERVICE_PASSWORD,
    baseDn: LDAP_BASE,
    preset: 'openldap',
    passwordCheck: 'bind',
    poolSize: 2,
    timeoutMs: 2000,
    cacheTtlMs: 60_000,
    maxGroupMembers: 100,
    ...o,
  });
  sources.push(s);
  return s;
}

test('finds users by primary and alternate address, and groups with nested members', async () => {
  const s = source();
  assert.deepEqual(await s.lookup('a.smith@example.org'), {
    kind: 'user',
    user: { address: 'alice@example.org', addresses: ['alice@example.org', 'a.smith@example.org'] },
  });
  const g = await s.lookup('everyone@example.org');
  assert.equal(g.kind, 'group');
  assert.deepEqual(g.kind === 'group' ? [...g.members].sort() : [], ['alice@example.org', 'bob@example.org', 'carol@example.org']);
  assert.deepEqual(await s.groupsOf('bob@example.org'), ['team@example.org']);
  assert.deepEqual(await s.lookup('*@example.org'), { kind: 'none' });
});

test('never binds with an empty password (RFC 4513 §5.1.2 unauthenticated bind)', async () => {
  assert.equal(await source().verify('alice@example.org', ''), null);
});

test('refuses a group larger than max_group_members instead of truncating it', async () => {
  await assert.rejects(source({ maxGroupMembers: 2 }).lookup('everyone@example.org'), SourceUnavailableError);
});

test('answers from the cache while the server is down, within the TTL', async () => {
  const s = source({ cacheTtlMs: 60_000 });
  assert.equal((await s.lookup('carol@example.org')).kind, 'user');
  await slapd.stop();
  try {
    assert.equal((await s.lookup('carol@example.org')).kind, 'user');
    await assert.rejects(source({ cacheTtlMs: 0 }).lookup('carol@example.org'), SourceUnavailableError);
  } finally {
    await slapd.start();
  }
});

test('a server that accepts but never answers gives a temporary failure after the timeout', async () => {
  const held: Socket[] = [];
  const stall: Server = createServer((sock) => held.push(sock));
  await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()));
  const port = (stall.address() as { port: number }).port;
  try {
    const s = source({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 300 });
    const t0 = Date.now();
    await assert.rejects(s.verify('alice@example.org', 'alice-ldap-pw'), SourceUnavailableError);
    assert.ok(Date.now() - t0 < 3000, 'gave up within the timeout');
  } finally {
    for (const h of held) h.destroy();
    await new Promise<void>((r) => stall.close(() => r()));
  }
});
