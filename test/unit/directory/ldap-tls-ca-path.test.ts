import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, parseConfig } from '../../../src/config/index.js';
import { buildSources } from '../../../src/directory/from-config.js';
import { testCertificate } from '../../helpers/certs.js';

const LDAP = '[directory]\nldap_domains = ["corp.example"]\nldap_url = "ldaps://127.0.0.1:1"\n';

test('a relative ldap_tls_ca is resolved against the directory of the config file', () => {
  const file = '/srv/pochta/pochta.toml';
  assert.equal(parseConfig(`${LDAP}ldap_tls_ca = "certs/ldap-ca.pem"\n`, file).directory.ldap_tls_ca, '/srv/pochta/certs/ldap-ca.pem');
  assert.equal(parseConfig(`${LDAP}ldap_tls_ca = "../ca.pem"\n`, file).directory.ldap_tls_ca, '/srv/ca.pem');
  assert.equal(parseConfig(`${LDAP}ldap_tls_ca = "/etc/ssl/ldap.pem"\n`, file).directory.ldap_tls_ca, '/etc/ssl/ldap.pem');
  assert.equal(parseConfig(LDAP, file).directory.ldap_tls_ca, '', '"" (the system CAs) stays ""');
});

test('a config loaded from another working directory reads the CA next to the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-ldapca-'));
  try {
    await writeFile(join(dir, 'ldap-ca.pem'), (await testCertificate()).cert);
    await writeFile(join(dir, 'pochta.toml'), `${LDAP}ldap_tls_ca = "ldap-ca.pem"\n`);
    const c = await loadConfig(join(dir, 'pochta.toml'));
    assert.equal(c.directory.ldap_tls_ca, join(dir, 'ldap-ca.pem'));
    const sources = buildSources(c.directory);
    assert.equal(sources.length, 1, 'the CA file was read (a missing file throws)');
    await Promise.all(sources.map((s) => s.close()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
