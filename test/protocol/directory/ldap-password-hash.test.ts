/**
 * ldap_password_check = "hash" against a real slapd (test/fixtures/directory/hash-tree.ldif, the service DN
 * allowed to read userPassword): users stored as {CRYPT}$6$, {SSHA}, {SHA512}, {BLF-CRYPT} and a two-valued
 * userPassword log in over IMAP without any bind as the user; a wrong password, an unsupported scheme
 * ({SMD5}) and an untagged clear value are refused; the login cache still spares the LDAP reads; a stopped
 * slapd gives NO [UNAVAILABLE]. At the source level: the refusal reason names the scheme, never the hash, and
 * a bind DN without read access gets a clear reason instead of a silent failure.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SourceUnavailableError } from '../../../src/directory/errors.js';
import { LdapSource } from '../../../src/directory/ldap-source.js';
import { LDAP_BASE, LDAP_SERVICE_DN, LDAP_SERVICE_PASSWORD, ldapDirectoryToml, startSlapd, type Slapd } from '../../helpers/slapd.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { LineClient } from './line-client.js';

let slapd: Slapd;
let srv: TestServer;
const sources: LdapSource[] = [];

before(async () => {
  slapd = await startSlapd({ tree: 'hash-tree.ldif', serviceReadsPasswords: true });
  srv = await startServer({
    listeners: [{ protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' }],
    domains: ['internal.test'],
    toml: `
${ldapDirectoryToml(slapd.url, ['ldap_password_check = "hash"', 'ldap_cache_ttl = 0'])}
[imap]
auth_cache_ttl = 300
`,
  });
});

after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await srv?.close();
  await slapd?.close();
});

function source(url: string, o: { onPasswordRefused?: (dn: string, reason: string) => void } = {}): LdapSource {
  const s = new LdapSource({
    domains: ['example.org'],
    url,
    starttls: false,
    bindDn: LDAP_SERVICE_DN,
    bindPassword: LDAP_SERVICE_PASSWORD,
    baseDn: LDAP_BASE,
    preset: 'openldap',
    passwordCheck: 'hash',
    poolSize: 1,
    timeoutMs: 2000,
    cacheTtlMs: 0,
    maxGroupMembers: 100,
    ...o,
  });
  sources.push(s);
  return s;
}

async function imapLogin(user: string, password: string): Promise<string> {
  const c = await LineClient.connect(srv.port('imap'));
  await c.until(/^\* OK/);
  const reply = await c.cmd(`a1 LOGIN ${user}@example.org "${password}"`, /^a1 /);
  c.close();
  return reply;
}

/** slapd's log once its stderr caught up with the replies already received. */
async function settledLog(): Promise<string> {
  await new Promise((r) => setTimeout(r, 150));
  return slapd.log();
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

test('users with {CRYPT}$6$, {SSHA}, {SHA512}, {BLF-CRYPT} and two userPassword values log in over IMAP', async () => {
  const users: Array<[string, string]> = [
    ['alice', 'hash-alice-pw'],
    ['bob', 'hash-bob-pw'],
    ['carol', 'hash-carol-pw'],
    ['dave', 'hash-dave-pw'],
    ['frank', 'hash-frank-pw'],
    ['frank', 'hash-frank-old'],
  ];
  for (const [user, pw] of users) assert.match(await imapLogin(user, pw), /^a1 OK/m, `${user} / ${pw}`);
  const log = await settledLog();
  assert.equal(count(log, 'BIND dn="uid='), 0, 'no bind as any user: the hashes were verified by pochta');
  assert.ok(count(log, 'attr=userPassword') >= users.length, 'the service account read userPassword');
});

test('a wrong password, an unsupported scheme and an untagged clear value are refused', async () => {
  assert.match(await imapLogin('alice', 'hash-bob-pw'), /^a1 NO \[AUTHENTICATIONFAILED\]/m);
  assert.match(await imapLogin('bob', 'hash-bob-pw '), /^a1 NO \[AUTHENTICATIONFAILED\]/m);
  assert.match(await imapLogin('mallory', 'hash-mallory-pw'), /^a1 NO \[AUTHENTICATIONFAILED\]/m);
  assert.match(await imapLogin('erin', 'erin-clear-pw'), /^a1 NO \[AUTHENTICATIONFAILED\]/m);
  assert.equal(await srv.store.getAccount('mallory@example.org'), null, 'no mailbox for a refused login');
});

test('the refusal reason names the scheme, never the hash', async () => {
  const reasons: string[] = [];
  const s = source(slapd.url, { onPasswordRefused: (dn, reason) => reasons.push(`${dn}: ${reason}`) });
  assert.equal(await s.verify('mallory@example.org', 'hash-mallory-pw'), null);
  assert.equal((await s.verify('bob@example.org', 'hash-bob-pw'))?.address, 'bob@example.org');
  assert.equal(await s.verify('bob@example.org', 'wrong'), null);
  assert.deepEqual(reasons, ['uid=mallory,ou=people,dc=example,dc=org: unsupported password scheme {SMD5}']);
  assert.ok(!reasons.join().includes('/m9GUMtdFM4Q'), 'no hash in the reason');
});

test('a bind DN that may not read userPassword is refused with a reason', async () => {
  const compareOnly = await startSlapd({ tree: 'hash-tree.ldif' });
  try {
    const reasons: string[] = [];
    const s = source(compareOnly.url, { onPasswordRefused: (_dn, reason) => reasons.push(reason) });
    assert.equal(await s.verify('bob@example.org', 'hash-bob-pw'), null);
    assert.deepEqual(reasons, ['no userPassword value readable (the bind DN needs read access to userPassword)']);
  } finally {
    await compareOnly.close();
  }
});

test('the login cache keeps working; with slapd stopped an uncached login fails temporarily', async () => {
  assert.match(await imapLogin('carol', 'hash-carol-pw'), /^a1 OK/m);
  const reads = count(await settledLog(), 'attr=userPassword');
  assert.match(await imapLogin('carol', 'hash-carol-pw'), /^a1 OK/m);
  assert.equal(count(await settledLog(), 'attr=userPassword'), reads, 'a cached login reads nothing');
  await slapd.stop();
  try {
    assert.match(await imapLogin('carol', 'hash-carol-pw'), /^a1 OK/m);
    assert.match(await imapLogin('carol', 'hash-carol-pw2'), /^a1 NO \[UNAVAILABLE\]/m);
    assert.match(await imapLogin('bob', 'hash-bob-wrong'), /^a1 NO \[UNAVAILABLE\]/m);
    await assert.rejects(source(slapd.url).verify('bob@example.org', 'hash-bob-pw'), SourceUnavailableError);
  } finally {
    await slapd.start();
  }
});
