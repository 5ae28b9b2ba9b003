/**
 * The LDAP directory against a real slapd (test/helpers/slapd.ts): logins over SMTP AUTH, IMAP and POP3,
 * recipient lookup of primary and alternate addresses, group delivery (nested), wrong passwords, LDAP
 * injection, and a stopped server giving temporary failures on every protocol.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ldapDirectoryToml, startSlapd, type Slapd } from '../../helpers/slapd.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { LineClient, plain } from './line-client.js';

let slapd: Slapd;
let srv: TestServer;

before(async () => {
  slapd = await startSlapd();
  srv = await startServer({
    listeners: [
      { protocol: 'smtp', tls: 'none' },
      { protocol: 'submission', tls: 'none', extra: 'allow_plaintext_auth = true' },
      { protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' },
      { protocol: 'pop3', tls: 'none', extra: 'allow_plaintext_auth = true' },
    ],
    domains: ['internal.test'],
    users: [{ address: 'ivan@internal.test', password: 'internal-pw-123' }],
    toml: `
${ldapDirectoryToml(slapd.url, ['ldap_cache_ttl = 0', 'ldap_pool_size = 2'])}
# Every login reaches slapd here (the login cache has its own test: ldap-auth-cache.test.ts).
[imap]
auth_cache_ttl = 0
`,
  });
});

after(async () => {
  await srv?.close();
  await slapd?.close();
});

async function smtpSession(port: number): Promise<LineClient> {
  const c = await LineClient.connect(port);
  await c.until(/^220 /);
  await c.cmd('EHLO client.example.net', /^250 /);
  return c;
}

async function inboxCount(address: string): Promise<number> {
  const account = await srv.store.getAccount(address);
  if (account === null) return 0;
  const inbox = await srv.store.getMailbox(account.id, 'INBOX');
  return inbox === null ? 0 : (await srv.store.getMailboxStatus(inbox.id)).messages;
}

describe('LDAP directory over the protocols', () => {
  it('logs an LDAP user in over SMTP AUTH and refuses a wrong password with 535', async () => {
    const c = await smtpSession(srv.port('submission'));
    assert.match(await c.cmd(`AUTH PLAIN ${plain('alice@example.org', 'wrong-password')}`, /^\d{3} /), /^535 /m);
    assert.match(await c.cmd(`AUTH PLAIN ${plain('alice@example.org', 'alice-ldap-pw')}`, /^\d{3} /), /^235 /m);
    c.close();
    const account = await srv.store.getAccount('alice@example.org');
    assert.ok(account, 'the mailbox was created on first login');
    assert.equal(account.passwordHash, '{EXTERNAL}ldap');
  });

  it('logs an LDAP user in over IMAP and opens the provisioned INBOX', async () => {
    const c = await LineClient.connect(srv.port('imap'));
    await c.until(/^\* OK/);
    assert.match(await c.cmd('a1 LOGIN bob@example.org "not-bobs"', /^a1 /), /^a1 NO \[AUTHENTICATIONFAILED\]/m);
    assert.match(await c.cmd('a2 LOGIN bob@example.org bob-ldap-pw', /^a2 /), /^a2 OK/m);
    assert.match(await c.cmd('a3 SELECT INBOX', /^a3 /), /^a3 OK/m);
    c.close();
  });

  it('logs an LDAP user in over POP3', async () => {
    const c = await LineClient.connect(srv.port('pop3'));
    await c.until(/^\+OK/);
    await c.cmd('USER carol@example.org', /^[+-]/);
    assert.match(await c.cmd('PASS carol-ldap-pw', /^[+-]/), /^\+OK/);
    c.close();
  });

  it('accepts the primary and the alternate address and refuses an unknown one', async () => {
    const c = await smtpSession(srv.port('smtp'));
    await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await c.cmd('RCPT TO:<alice@example.org>', /^\d{3} /), /^250 /);
    assert.match(await c.cmd('RCPT TO:<a.smith@example.org>', /^\d{3} /), /^250 /);
    assert.match(await c.cmd('RCPT TO:<nobody@example.org>', /^\d{3} /), /^550 /);
    const before = await inboxCount('alice@example.org');
    await c.cmd('DATA', /^354 /);
    await c.cmd('Subject: to both of alice\r\n\r\nhello\r\n.', /^250 /);
    c.close();
    assert.equal(await inboxCount('alice@example.org'), before + 1, 'one copy for the two addresses of one user');
  });

  it('delivers mail for a group address to its members, nested groups included', async () => {
    const before = { alice: await inboxCount('alice@example.org'), bob: await inboxCount('bob@example.org'), carol: await inboxCount('carol@example.org') };
    const c = await smtpSession(srv.port('smtp'));
    await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await c.cmd('RCPT TO:<everyone@example.org>', /^\d{3} /), /^250 /);
    await c.cmd('DATA', /^354 /);
    await c.cmd('Subject: all hands\r\n\r\nhello all\r\n.', /^250 /);
    c.close();
    assert.equal(await inboxCount('alice@example.org'), before.alice + 1);
    assert.equal(await inboxCount('bob@example.org'), before.bob + 1);
    assert.equal(await inboxCount('carol@example.org'), before.carol + 1);
  });

  it('creates the mailbox of an LDAP user on first delivery, before any login', async () => {
    assert.equal(await srv.store.getAccount('dave@example.org'), null);
    const c = await smtpSession(srv.port('smtp'));
    await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await c.cmd('RCPT TO:<dave@example.org>', /^\d{3} /), /^250 /);
    await c.cmd('DATA', /^354 /);
    await c.cmd('Subject: welcome\r\n\r\nhello dave\r\n.', /^250 /);
    c.close();
    assert.equal((await srv.store.getAccount('dave@example.org'))?.passwordHash, '{EXTERNAL}ldap');
    assert.equal(await inboxCount('dave@example.org'), 1);
    const i = await LineClient.connect(srv.port('imap'));
    await i.until(/^\* OK/);
    assert.match(await i.cmd('d1 LOGIN dave@example.org dave-ldap-pw', /^d1 /), /^d1 OK/m);
    assert.match(await i.cmd('d2 SELECT INBOX', /^d2 /), /^\* 1 EXISTS/m);
    i.close();
  });

  it('refuses LDAP injection in a login and in a recipient', async () => {
    const c = await LineClient.connect(srv.port('imap'));
    await c.until(/^\* OK/);
    // Unescaped, "a*" would be a substring filter matching alice, and her password would log in.
    assert.match(await c.cmd('i1 LOGIN "a*@example.org" alice-ldap-pw', /^i1 /), /^i1 NO /m);
    assert.match(await c.cmd('i2 LOGIN "*)(uid=*)(mail=*@example.org" alice-ldap-pw', /^i2 /), /^i2 NO /m);
    assert.match(await c.cmd('i3 LOGIN alice@example.org alice-ldap-pw', /^i3 /), /^i3 OK/m);
    c.close();
    const s = await smtpSession(srv.port('smtp'));
    await s.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await s.cmd('RCPT TO:<a*@example.org>', /^\d{3} /), /^5\d\d /);
    s.close();
  });

  it('keeps internal users working beside the LDAP domain', async () => {
    const c = await LineClient.connect(srv.port('imap'));
    await c.until(/^\* OK/);
    assert.match(await c.cmd('n1 LOGIN ivan@internal.test internal-pw-123', /^n1 /), /^n1 OK/m);
    c.close();
  });

  it('answers with temporary failures while slapd is down', async () => {
    await slapd.stop();
    try {
      const s = await smtpSession(srv.port('submission'));
      assert.match(await s.cmd(`AUTH PLAIN ${plain('alice@example.org', 'alice-ldap-pw')}`, /^\d{3} /), /^454 4\.7\.0/m);
      s.close();

      const m = await smtpSession(srv.port('smtp'));
      await m.cmd('MAIL FROM:<sender@example.net>', /^250 /);
      assert.match(await m.cmd('RCPT TO:<alice@example.org>', /^\d{3} /), /^451 4\.4\.3/);
      m.close();

      const i = await LineClient.connect(srv.port('imap'));
      await i.until(/^\* OK/);
      assert.match(await i.cmd('t1 LOGIN alice@example.org alice-ldap-pw', /^t1 /), /^t1 NO \[UNAVAILABLE\]/m);
      i.close();

      const p = await LineClient.connect(srv.port('pop3'));
      await p.until(/^\+OK/);
      await p.cmd('USER alice@example.org', /^[+-]/);
      assert.match(await p.cmd('PASS alice-ldap-pw', /^[+-]/), /^-ERR \[SYS\/TEMP\]/);
      p.close();
    } finally {
      await slapd.start();
    }
    // Back up: the pool reconnects.
    const c = await LineClient.connect(srv.port('imap'));
    await c.until(/^\* OK/);
    assert.match(await c.cmd('r1 LOGIN alice@example.org alice-ldap-pw', /^r1 /), /^r1 OK/m);
    c.close();
  });
});
