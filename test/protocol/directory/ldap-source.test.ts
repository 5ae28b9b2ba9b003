/**
 * LdapSource against a real slapd (with 2000 generated users and a group listing them all) and a stalling TCP
 * peer: compare-mode passwords (slapd's log shows a compare, no bind as the user), the group size limits, a
 * filter matching thousands of users, the lookup cache, the URL's host honoured, and a server that accepts
 * connections but never answers (a timeout, not a hang).
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
  slapd = await startSlapd({ bulkUsers: 2000 });
});
after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await slapd?.close();
});

const ERIN_BIND = 'BIND dn="uid=erin,ou=people,dc=example,dc=org"';
const ERIN_CMP = 'CMP dn="uid=erin,ou=people,dc=example,dc=org" attr="userPassword"';

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** slapd's log after its stderr caught up with the replies already received. */
async function settledLog(): Promise<string> {
  await new Promise((r) => setTimeout(r, 150));
  return slapd.log();
}

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
  // bob is in team, and team is in everyone.
  assert.deepEqual(await s.groupsOf('bob@example.org'), ['team@example.org', 'everyone@example.org']);
  assert.deepEqual(await s.groupsOf('alice@example.org'), ['everyone@example.org']);
  assert.deepEqual(await s.lookup('*@example.org'), { kind: 'none' });
});

test('never binds with an empty password (RFC 4513 §5.1.2 unauthenticated bind)', async () => {
  assert.equal(await source().verify('alice@example.org', ''), null);
});

test('refuses a group larger than max_group_members instead of truncating it', async () => {
  await assert.rejects(source({ maxGroupMembers: 2 }).lookup('everyone@example.org'), SourceUnavailableError);
});

test('refuses a group of 2000 members before reading any of them', async () => {
  const s = source({ maxGroupMembers: 1000 });
  const searches = count(await settledLog(), 'SRCH base=');
  await assert.rejects(s.lookup('bulk@example.org'), /more than 1000 members/);
  // One user search, one group search: no base-object read per member.
  assert.ok(count(await settledLog(), 'SRCH base=') - searches <= 2);
  assert.equal((await source({ maxGroupMembers: 5000 }).lookup('bulk@example.org')).kind, 'group');
});

test('a filter matching thousands of users is ambiguous: no user, no login, no crash', async () => {
  const s = source({ userFilter: '(|(mail=%s)(uid=bulk*))' });
  assert.deepEqual(await s.lookup('bulk0001@example.org'), { kind: 'none' });
  assert.equal(await s.verify('alice@example.org', 'alice-ldap-pw'), null);
  assert.equal((await source().lookup('bulk0001@example.org')).kind, 'user');
});

test('compare mode checks the password with an LDAP compare, never binding as the user', async () => {
  const s = source({ passwordCheck: 'compare' });
  const binds = count(slapd.log(), ERIN_BIND);
  const compares = count(slapd.log(), ERIN_CMP);
  assert.equal((await s.verify('erin@example.org', 'erin-clear-pw'))?.address, 'erin@example.org');
  assert.equal(await s.verify('erin@example.org', 'not-erins'), null);
  assert.equal(await s.verify('nobody@example.org', 'erin-clear-pw'), null);
  const log = await settledLog();
  assert.equal(count(log, ERIN_CMP) - compares, 2, 'two compares of her userPassword');
  assert.equal(count(log, ERIN_BIND) - binds, 0, 'no bind as erin');
  // slapd compares userPassword octet by octet: a hashed ({SSHA}) value never matches, so compare mode
  // refuses such users (a failed login, not an error). Documented at ldap_password_check.
  assert.equal(await s.verify('carol@example.org', 'carol-ldap-pw'), null);
});

test('connects to the host of the URL, not to localhost', async () => {
  // Nothing listens on 127.0.0.2 at slapd's port: a client that dropped the host would reach slapd on 127.0.0.1.
  await assert.rejects(source({ url: `ldap://127.0.0.2:${slapd.port}`, timeoutMs: 1000 }).lookup('alice@example.org'), SourceUnavailableError);
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
