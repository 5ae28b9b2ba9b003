/**
 * LDAP logins are cached like internal ones (imap.auth_cache_ttl): slapd's log shows one bind for three IMAP
 * logins with the same password; wrong passwords are never cached (each one binds); with slapd stopped the
 * cached login still works over IMAP and SMTP AUTH, and any other password fails temporarily.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ldapDirectoryToml, startSlapd, type Slapd } from '../../helpers/slapd.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { LineClient, plain } from './line-client.js';

const BOB_BIND = 'BIND dn="uid=bob,ou=people,dc=example,dc=org" method=128';
let slapd: Slapd;
let srv: TestServer;

before(async () => {
  slapd = await startSlapd();
  srv = await startServer({
    listeners: [
      { protocol: 'submission', tls: 'none', extra: 'allow_plaintext_auth = true' },
      { protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' },
    ],
    domains: ['internal.test'],
    toml: `
${ldapDirectoryToml(slapd.url, ['# Lookups are not cached: only the login cache can spare the binds.', 'ldap_cache_ttl = 0'])}
[imap]
auth_cache_ttl = 300
`,
  });
});

after(async () => {
  await srv?.close();
  await slapd?.close();
});

function binds(): number {
  return slapd.log().split(BOB_BIND).length - 1;
}

/** The bind count once slapd's stderr has caught up (it arrives a moment after the reply). */
async function bindsSettled(): Promise<number> {
  await new Promise((r) => setTimeout(r, 150));
  return binds();
}

async function imapLogin(password: string): Promise<string> {
  const c = await LineClient.connect(srv.port('imap'));
  await c.until(/^\* OK/);
  const reply = await c.cmd(`a1 LOGIN bob@example.org ${password}`, /^a1 /);
  c.close();
  return reply;
}

test('a reconnecting client binds once; wrong passwords bind every time', async () => {
  const start = binds();
  for (let i = 0; i < 3; i++) assert.match(await imapLogin('bob-ldap-pw'), /^a1 OK/m);
  assert.equal((await bindsSettled()) - start, 1, 'three logins, one bind');
  for (let i = 0; i < 2; i++) assert.match(await imapLogin('bob-wrong-pw'), /^a1 NO \[AUTHENTICATIONFAILED\]/m);
  assert.equal((await bindsSettled()) - start, 3, 'each wrong password reached slapd');
});

test('with slapd stopped, the cached login works and another password fails temporarily', async () => {
  assert.match(await imapLogin('bob-ldap-pw'), /^a1 OK/m);
  await slapd.stop();
  try {
    assert.match(await imapLogin('bob-ldap-pw'), /^a1 OK/m);
    assert.match(await imapLogin('bob-ldap-pw2'), /^a1 NO \[UNAVAILABLE\]/m);
    const s = await LineClient.connect(srv.port('submission'));
    await s.until(/^220 /);
    await s.cmd('EHLO client.example.net', /^250 /);
    assert.match(await s.cmd(`AUTH PLAIN ${plain('bob@example.org', 'bob-wrong-pw')}`, /^\d{3} /), /^454 4\.7\.0/m);
    assert.match(await s.cmd(`AUTH PLAIN ${plain('bob@example.org', 'bob-ldap-pw')}`, /^\d{3} /), /^235 /m);
    s.close();
  } finally {
    await slapd.start();
  }
});

test('an account disabled by the admin is refused even with a cached login', async () => {
  assert.match(await imapLogin('bob-ldap-pw'), /^a1 OK/m);
  await srv.store.updateAccount('bob@example.org', { enabled: false });
  try {
    assert.match(await imapLogin('bob-ldap-pw'), /^a1 NO /m);
  } finally {
    await srv.store.updateAccount('bob@example.org', { enabled: true });
  }
});
