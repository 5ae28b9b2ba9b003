import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseConfig, type Config } from '../../../src/config/index.js';
import { buildSources, createDirectory } from '../../../src/directory/from-config.js';
import { LdapSource } from '../../../src/directory/ldap-source.js';
import { SystemSource } from '../../../src/directory/system-source.js';
import { makeTempStore, type TempStore } from '../../helpers/store-temp.js';

const FILE = '/srv/pochta/pochta.toml';
let ts: TempStore;

before(async () => {
  ts = await makeTempStore();
});
after(async () => {
  await ts.cleanup();
});

test('builds no source by default, and system and LDAP sources for the domains listed', () => {
  assert.deepEqual(buildSources(parseConfig('', FILE).directory), []);
  const c = parseConfig('[directory]\nsystem_domains = ["sys.example"]\nldap_domains = ["corp.example"]\nldap_url = "ldap://127.0.0.1:1"\n', FILE);
  const sources = buildSources(c.directory);
  assert.ok(sources[0] instanceof SystemSource);
  assert.ok(sources[1] instanceof LdapSource);
  assert.deepEqual(sources.map((s) => s.domains), [['sys.example'], ['corp.example']]);
});

test('refuses an LDAP domain without a URL, and a domain in two sources', () => {
  assert.throws(() => parseConfig('[directory]\nldap_domains = ["corp.example"]\n', FILE), /ldap_url/);
  assert.throws(
    () => parseConfig('[directory]\nsystem_domains = ["a.example"]\nldap_domains = ["a.example"]\nldap_url = "ldap://127.0.0.1:1"\n', FILE),
    /one source per domain/,
  );
  assert.throws(() => parseConfig('[directory]\nldap_url = "ldaps://h"\nldap_starttls = true\n', FILE), /StartTLS/);
});

test('accepts ldap_password_check = "hash" with an attribute name, and refuses a name that is not one', () => {
  const c = parseConfig('[directory]\nldap_password_check = "hash"\nldap_password_attribute = "mailPassword"\n', FILE);
  assert.equal(c.directory.ldap_password_check, 'hash');
  assert.equal(c.directory.ldap_password_attribute, 'mailPassword');
  assert.equal(parseConfig('', FILE).directory.ldap_password_attribute, 'userPassword');
  assert.throws(() => parseConfig('[directory]\nldap_password_attribute = "userPassword)(uid=*"\n', FILE), /LDAP attribute name/);
  assert.throws(() => parseConfig('[directory]\nldap_password_check = "md5"\n', FILE), /ldap_password_check/);
});

test('follows a reloaded config: the sources are rebuilt only when [directory] changed', async () => {
  let config: Config = parseConfig('', FILE);
  const dir = createDirectory(ts.store, () => config);
  const first = dir.active();
  assert.equal(await dir.isLocalDomain('sys.example'), false);
  config = parseConfig('[smtp]\nmax_recipients = 200\n', FILE);
  assert.equal(dir.active(), first, 'an unrelated change keeps the directory');
  config = parseConfig('[directory]\nsystem_domains = ["sys.example"]\n', FILE);
  assert.notEqual(dir.active(), first);
  assert.equal(await dir.isLocalDomain('sys.example'), true);
  await dir.close();
});
