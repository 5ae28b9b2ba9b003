/**
 * The active-directory preset against slapd loaded with an AD look-alike (fixtures ad-test.schema,
 * ad-tree.ldif): login by userPrincipalName, the primary address from proxyAddresses "SMTP:", an alias from
 * "smtp:", disabled accounts (userAccountControl bit 2) and computers left out, nested groups expanded by
 * recursive lookups (slapd has no LDAP_MATCHING_RULE_IN_CHAIN) with a cycle of groups surviving, and over
 * SMTP and IMAP: a nested group delivering to its members.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LdapSource } from '../../../src/directory/ldap-source.js';
import { LDAP_BASE, LDAP_SERVICE_DN, LDAP_SERVICE_PASSWORD, ldapDirectoryToml, startSlapd, type Slapd } from '../../helpers/slapd.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { LineClient, plain } from './line-client.js';

let slapd: Slapd;
let src: LdapSource;
let srv: TestServer;

before(async () => {
  slapd = await startSlapd({ tree: 'ad-tree.ldif' });
  src = new LdapSource({
    domains: ['example.org'],
    url: slapd.url,
    starttls: false,
    bindDn: LDAP_SERVICE_DN,
    bindPassword: LDAP_SERVICE_PASSWORD,
    baseDn: LDAP_BASE,
    preset: 'active-directory',
    passwordCheck: 'bind',
    poolSize: 2,
    timeoutMs: 2000,
    cacheTtlMs: 0,
    maxGroupMembers: 100,
  });
  srv = await startServer({
    listeners: [
      { protocol: 'smtp', tls: 'none' },
      { protocol: 'submission', tls: 'none', extra: 'allow_plaintext_auth = true' },
      { protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' },
    ],
    domains: ['internal.test'],
    toml: ldapDirectoryToml(slapd.url, ['ldap_preset = "active-directory"']),
  });
});

after(async () => {
  await src?.close();
  await srv?.close();
  await slapd?.close();
});

const PAT = { address: 'pat@example.org', addresses: ['pat@example.org', 'p.doe@example.org'] };

async function inboxCount(address: string): Promise<number> {
  const account = await srv.store.getAccount(address);
  if (account === null) return 0;
  const inbox = await srv.store.getMailbox(account.id, 'INBOX');
  return inbox === null ? 0 : (await srv.store.getMailboxStatus(inbox.id)).messages;
}

describe('Active Directory preset (slapd with an AD look-alike schema)', () => {
  it('finds a user by the SMTP: primary, an smtp: alias and the userPrincipalName; X500: is no address', async () => {
    assert.deepEqual(await src.lookup('pat@example.org'), { kind: 'user', user: PAT });
    assert.deepEqual(await src.lookup('P.Doe@example.org'), { kind: 'user', user: PAT });
    assert.deepEqual(await src.lookup('pdoe@example.org'), { kind: 'user', user: PAT });
    // mail first, then SMTP: (the same address here).
    assert.deepEqual(await src.lookup('lee@example.org'), { kind: 'user', user: { address: 'lee@example.org', addresses: ['lee@example.org'] } });
  });

  it('logs in by userPrincipalName as the primary address; a wrong password, a disabled account and a computer fail', async () => {
    assert.deepEqual(await src.verify('pdoe@example.org', 'pat-ad-pw'), PAT);
    assert.equal(await src.verify('pdoe@example.org', 'lee-ad-pw'), null);
    assert.equal(await src.verify('old@example.org', 'old-ad-pw'), null, 'userAccountControl 514: disabled');
    assert.equal(await src.verify('ws01@example.org', 'ws01-ad-pw'), null, 'objectClass computer');
    assert.deepEqual(await src.lookup('old@example.org'), { kind: 'none' });
  });

  it('expands nested groups by recursive lookups, and survives a cycle of groups', async () => {
    const staff = await src.lookup('all@example.org'); // the smtp: alias of staff; staff has no mail attribute
    assert.equal(staff.kind, 'group');
    // pat directly, lee through ops; old is listed (the directory refuses him when each member is resolved).
    assert.deepEqual(staff.kind === 'group' ? [...staff.members].sort() : [], ['lee@example.org', 'old@example.org', 'pat@example.org']);
    const loop = await src.lookup('loop-a@example.org');
    assert.deepEqual(loop.kind === 'group' ? [...loop.members].sort() : loop, ['lee@example.org', 'pat@example.org']);
    // Upwards: ops and loop-b directly, then staff (through ops) and loop-a (through loop-b), each once.
    const lee = await src.groupsOf('lee@example.org');
    assert.deepEqual(lee.slice(0, 2).sort(), ['loop-b@example.org', 'ops@example.org'], 'direct groups first');
    assert.deepEqual(lee.slice(2).sort(), ['loop-a@example.org', 'staff@example.org']);
    assert.deepEqual((await src.groupsOf('pat@example.org')).sort(), ['loop-a@example.org', 'loop-b@example.org', 'staff@example.org']);
  });

  it('over the server: IMAP and SMTP AUTH login by userPrincipalName, mail to the proxy address and the nested group', async () => {
    const i = await LineClient.connect(srv.port('imap'));
    await i.until(/^\* OK/);
    assert.match(await i.cmd('a1 LOGIN pdoe@example.org pat-ad-pw', /^a1 /), /^a1 OK/m);
    assert.match(await i.cmd('a2 SELECT INBOX', /^a2 /), /^a2 OK/m);
    i.close();
    assert.equal((await srv.store.getAccount('pat@example.org'))?.passwordHash, '{EXTERNAL}ldap', 'her mailbox is the primary address');
    const sub = await LineClient.connect(srv.port('submission'));
    await sub.until(/^220 /);
    await sub.cmd('EHLO client.example.net', /^250 /);
    assert.match(await sub.cmd(`AUTH PLAIN ${plain('lee@example.org', 'lee-ad-pw')}`, /^\d{3} /), /^235 /m);
    sub.close();

    const before = { pat: await inboxCount('pat@example.org'), lee: await inboxCount('lee@example.org') };
    const c = await LineClient.connect(srv.port('smtp'));
    await c.until(/^220 /);
    await c.cmd('EHLO client.example.net', /^250 /);
    await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await c.cmd('RCPT TO:<p.doe@example.org>', /^\d{3} /), /^250 /);
    assert.match(await c.cmd('RCPT TO:<staff@example.org>', /^\d{3} /), /^250 /);
    assert.match(await c.cmd('RCPT TO:<old@example.org>', /^\d{3} /), /^550 /, 'disabled account');
    await c.cmd('DATA', /^354 /);
    await c.cmd('Subject: staff meeting\r\n\r\nat noon\r\n.', /^250 /);
    c.close();
    assert.equal(await inboxCount('pat@example.org'), before.pat + 1, 'one copy for her alias and her group');
    assert.equal(await inboxCount('lee@example.org'), before.lee + 1, 'lee through the nested group ops');
    assert.equal(await srv.store.getAccount('old@example.org'), null, 'no mailbox for the disabled member');
  });
});
