/**
 * LDAP over TLS against a real slapd serving the test certificate (certs.ts): StartTLS on ldap:// and implicit
 * TLS on ldaps://. A login works over each; a server certificate the configured CA did not sign is a
 * temporary failure with no bind sent in clear (slapd's log shows none); and the server, configured with a
 * relative ldap_tls_ca, logs an LDAP user in over IMAP (and answers NO [UNAVAILABLE] with the wrong CA).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SourceUnavailableError } from '../../../src/directory/errors.js';
import { LdapSource, type LdapSourceOptions } from '../../../src/directory/ldap-source.js';
import { freshTestCertificate, testCertificate } from '../../helpers/certs.js';
import { LDAP_BASE, LDAP_SERVICE_DN, LDAP_SERVICE_PASSWORD, ldapDirectoryToml, startSlapd, type Slapd } from '../../helpers/slapd.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { LineClient } from './line-client.js';

const ALICE_BIND = 'BIND dn="uid=alice,ou=people,dc=example,dc=org"';
let slapd: Slapd;
let ca: string;
let otherCa: string;
const sources: LdapSource[] = [];
const servers: TestServer[] = [];

before(async () => {
  const cert = await testCertificate();
  ca = cert.cert;
  otherCa = (await freshTestCertificate()).cert;
  slapd = await startSlapd({ tls: cert });
});
after(async () => {
  await Promise.all(sources.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.close()));
  await slapd?.close();
});

function source(o: Partial<LdapSourceOptions>): LdapSource {
  const s = new LdapSource({
    domains: ['example.org'],
    url: slapd.url,
    starttls: false,
    bindDn: LDAP_SERVICE_DN,
    bindPassword: LDAP_SERVICE_PASSWORD,
    baseDn: LDAP_BASE,
    preset: 'openldap',
    passwordCheck: 'bind',
    poolSize: 1,
    timeoutMs: 2000,
    cacheTtlMs: 0,
    maxGroupMembers: 100,
    ...o,
  });
  sources.push(s);
  return s;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** slapd's log once it mentions `needle` at least `n` times (its stderr arrives a moment after the reply). */
async function logWith(needle: string, n: number): Promise<string> {
  for (let i = 0; i < 40 && count(slapd.log(), needle) < n; i++) await new Promise((r) => setTimeout(r, 25));
  return slapd.log();
}

describe('LDAP over TLS', () => {
  it('logs in over StartTLS, and the bind travels inside TLS', async () => {
    // slapd logs each bind request once as `BIND dn=... method=128` (a good one once more with mech=SIMPLE).
    const request = `${ALICE_BIND} method=128`;
    const before = count(slapd.log(), request);
    const s = source({ starttls: true, tls: { ca, rejectUnauthorized: true } });
    assert.equal((await s.verify('alice@example.org', 'alice-ldap-pw'))?.address, 'alice@example.org');
    assert.equal(await s.verify('alice@example.org', 'wrong-password'), null);
    const log = await logWith(request, before + 2);
    assert.match(log, /EXT oid=1\.3\.6\.1\.4\.1\.1466\.20037/, 'StartTLS extended operation (RFC 4511 §4.14)');
    // Every connection that carried one of alice's binds (good or wrong password) did StartTLS first, and
    // slapd logs the transport's strength of the good one: ssf=0 would mean the password crossed in clear.
    const conns = new Set(log.split('\n').filter((l) => l.includes(ALICE_BIND)).map((l) => /conn=(\d+)/.exec(l)?.[1]));
    assert.ok(conns.size >= 2, 'two binds as alice, on their own connections');
    for (const id of conns) assert.match(log, new RegExp(`conn=${id} op=0 STARTTLS`), `conn ${id} without StartTLS`);
    const good = await logWith(`${ALICE_BIND} mech=SIMPLE`, 1).then((l) => l.split('\n').filter((x) => x.includes(`${ALICE_BIND} mech=SIMPLE`)));
    assert.ok(good.length >= 1);
    for (const l of good) assert.match(l, / ssf=[1-9]/, l);
  });

  it('logs in over ldaps://', async () => {
    const s = source({ url: slapd.ldapsUrl, tls: { ca, rejectUnauthorized: true } });
    assert.equal((await s.verify('alice@example.org', 'alice-ldap-pw'))?.address, 'alice@example.org');
    assert.equal((await s.lookup('a.smith@example.org')).kind, 'user');
  });

  it('refuses a server certificate not signed by the configured CA: temporary failure, nothing sent in clear', async () => {
    await new Promise((r) => setTimeout(r, 150)); // the earlier tests' log lines are in
    const before = count(slapd.log(), ALICE_BIND) + count(slapd.log(), `BIND dn="${LDAP_SERVICE_DN}"`);
    const startTls = source({ starttls: true, tls: { ca: otherCa, rejectUnauthorized: true } });
    await assert.rejects(startTls.verify('alice@example.org', 'alice-ldap-pw'), (e: unknown) => {
      assert.ok(e instanceof SourceUnavailableError);
      assert.match(e.message, /certificate|self.signed|verify/i);
      return true;
    });
    const ldaps = source({ url: slapd.ldapsUrl, tls: { ca: otherCa, rejectUnauthorized: true } });
    await assert.rejects(ldaps.lookup('alice@example.org'), SourceUnavailableError);
    await new Promise((r) => setTimeout(r, 150));
    const after = count(slapd.log(), ALICE_BIND) + count(slapd.log(), `BIND dn="${LDAP_SERVICE_DN}"`);
    assert.equal(after, before, 'no bind reached the server after the failed handshake');
  });

  it('the server uses a relative ldap_tls_ca from its config file (IMAP login over ldaps), and refuses a wrong one', async () => {
    const toml = (caFile: string): string => ldapDirectoryToml(slapd.ldapsUrl, [`ldap_tls_ca = "${caFile}"`]);
    const listeners = [{ protocol: 'imap' as const, tls: 'none' as const, extra: 'allow_plaintext_auth = true' }];
    // start-server.ts writes the test certificate (the one slapd serves) to <data_dir>/tls/cert.pem, beside
    // pochta.toml: "tls/cert.pem" only works when resolved against the config file's directory.
    const good = await startServer({ listeners, domains: ['internal.test'], toml: toml('tls/cert.pem') });
    servers.push(good);
    assert.equal(good.config.directory.ldap_tls_ca, `${good.dataDir}/tls/cert.pem`);
    const c = await LineClient.connect(good.port('imap'));
    await c.until(/^\* OK/);
    assert.match(await c.cmd('a1 LOGIN bob@example.org bob-ldap-pw', /^a1 /), /^a1 OK/m);
    c.close();

    // The system CAs (ldap_tls_ca = "") do not know the test certificate either.
    const bad = await startServer({ listeners, domains: ['internal.test'], toml: toml('') });
    servers.push(bad);
    const d = await LineClient.connect(bad.port('imap'));
    await d.until(/^\* OK/);
    assert.match(await d.cmd('b1 LOGIN bob@example.org bob-ldap-pw', /^b1 /), /^b1 NO \[UNAVAILABLE\]/m);
    d.close();
  });
});
