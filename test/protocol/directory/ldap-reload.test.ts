/**
 * The directory follows a config reload (what SIGHUP does: serve.ts loads the file and calls
 * services.reload): a server started without LDAP gains the LDAP domain, logs its users in and takes their
 * mail; a second reload pointing at another server takes effect for the next login; removing the section
 * ends the LDAP logins.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseConfig, type Config } from '../../../src/config/index.js';
import { ldapDirectoryToml, startSlapd, type Slapd } from '../../helpers/slapd.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { LineClient } from './line-client.js';

let slapd: Slapd;
let srv: TestServer;

before(async () => {
  slapd = await startSlapd();
  srv = await startServer({
    listeners: [
      { protocol: 'smtp', tls: 'none' },
      { protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' },
    ],
    domains: ['internal.test'],
  });
});

after(async () => {
  await srv?.close();
  await slapd?.close();
});

/** The running config with another [directory] section, as a reloaded file would give. */
function withDirectory(url: string | null): Config {
  const text =
    url === null
      ? ''
      : ldapDirectoryToml(url, [], 1);
  return { ...srv.config, directory: parseConfig(text, `${srv.dataDir}/pochta.toml`).directory };
}

async function login(): Promise<string> {
  const c = await LineClient.connect(srv.port('imap'));
  await c.until(/^\* OK/);
  const r = await c.cmd('a1 LOGIN carol@example.org carol-ldap-pw', /^a1 /);
  c.close();
  return r;
}

async function rcpt(address: string): Promise<string> {
  const c = await LineClient.connect(srv.port('smtp'));
  await c.until(/^220 /);
  await c.cmd('EHLO client.example.net', /^250 /);
  await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
  const r = await c.cmd(`RCPT TO:<${address}>`, /^\d{3} /);
  c.close();
  return r;
}

test('a reload adds, re-points and removes the LDAP directory without a restart', async () => {
  assert.match(await login(), /^a1 NO \[AUTHENTICATIONFAILED\]/m, 'no LDAP yet');

  await srv.services.reload(withDirectory(slapd.url));
  assert.match(await login(), /^a1 OK/m);
  assert.match(await rcpt('carol@example.org'), /^250 /);
  assert.match(await rcpt('nobody@example.org'), /^550 /, 'example.org is now a local domain');

  await srv.services.reload(withDirectory('ldap://127.0.0.1:1'));
  assert.match(await login(), /^a1 NO \[UNAVAILABLE\]/m, 'the new URL is used (and the login cache went with the old directory)');

  await srv.services.reload(withDirectory(null));
  assert.match(await login(), /^a1 NO \[AUTHENTICATIONFAILED\]/m, 'example.org is no LDAP domain any more');
});
