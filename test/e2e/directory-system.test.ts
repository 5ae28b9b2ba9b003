/**
 * The system directory with real Unix accounts: the test creates users with useradd and a known password
 * (chpasswd: SHA-512-crypt, and yescrypt through the native addon), logs in over IMAP, receives mail over
 * SMTP, and checks that an account below min_uid and a locked account are refused. Needs root (CI runs as root): without it the test FAILS with a
 * message rather than skipping. The users are removed afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { LineClient } from '../protocol/directory/line-client.js';

const suffix = randomBytes(3).toString('hex');
const USER = `pmail${suffix}`;
const LOWUID = `pmsys${suffix}`;
const LOCKED = `pmlock${suffix}`;
const YES = `pmyes${suffix}`;
const PASSWORD = 'unix-pass-Word-1';
const created: string[] = [];
let srv: TestServer;
let tmp = '';

function addUser(name: string, system: boolean, method = 'SHA512'): void {
  execFileSync('useradd', [...(system ? ['-r'] : []), '-M', '-N', '-s', '/usr/sbin/nologin', name]);
  created.push(name);
  execFileSync('chpasswd', ['-c', method], { input: `${name}:${PASSWORD}\n` });
}

before(async () => {
  assert.equal(process.getuid?.(), 0, 'the system-directory test creates Unix users with useradd: run it as root (CI does)');
  addUser(USER, false);
  addUser(LOWUID, true);
  addUser(LOCKED, false);
  execFileSync('usermod', ['-L', LOCKED]);
  addUser(YES, false, 'YESCRYPT'); // Debian 12's default method
  // yescrypt needs the native libxcrypt addon: build it for this process (src/directory/xcrypt.ts).
  tmp = await mkdtemp(join(tmpdir(), 'pochta-xcrypt-'));
  execFileSync('sh', [fileURLToPath(new URL('../../src/directory/native/build-xcrypt.sh', import.meta.url)), join(tmp, 'xcrypt.node')]);
  process.env['POCHTA_XCRYPT'] = join(tmp, 'xcrypt.node');
  srv = await startServer({
    listeners: [{ protocol: 'smtp', tls: 'none' }, { protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' }],
    domains: [],
    toml: `
[directory]
system_domains = ["sys.example"]
system_min_uid = 1000
`,
  });
});

after(async () => {
  await srv?.close();
  if (tmp !== '') await rm(tmp, { recursive: true, force: true });
  for (const name of created) {
    try {
      execFileSync('userdel', [name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
});

async function imapLogin(login: string, password: string): Promise<string> {
  const c = await LineClient.connect(srv.port('imap'));
  await c.until(/^\* OK/);
  const r = await c.cmd(`x LOGIN "${login}" "${password}"`, /^x /);
  c.close();
  return r;
}

describe('system directory', () => {
  it('logs a Unix user in over IMAP, by address and by bare user name', async () => {
    assert.match(await imapLogin(`${USER}@sys.example`, PASSWORD), /^x OK/m);
    assert.match(await imapLogin(USER, PASSWORD), /^x OK/m);
    assert.match(await imapLogin(`${USER}@sys.example`, 'wrong-password'), /^x NO \[AUTHENTICATIONFAILED\]/m);
  });

  it('delivers mail to the Unix user', async () => {
    const c = await LineClient.connect(srv.port('smtp'));
    await c.until(/^220 /);
    await c.cmd('EHLO client.example.net', /^250 /);
    await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await c.cmd(`RCPT TO:<${USER}@sys.example>`, /^\d{3} /), /^250 /);
    await c.cmd('DATA', /^354 /);
    await c.cmd('Subject: hello unix\r\n\r\nbody\r\n.', /^250 /);
    c.close();
    const account = await srv.store.getAccount(`${USER}@sys.example`);
    assert.ok(account);
    const inbox = await srv.store.getMailbox(account.id, 'INBOX');
    assert.ok(inbox);
    assert.equal((await srv.store.getMailboxStatus(inbox.id)).messages, 1);
  });

  it('refuses a user below min_uid, for login and for mail', async () => {
    assert.match(await imapLogin(`${LOWUID}@sys.example`, PASSWORD), /^x NO /m);
    const c = await LineClient.connect(srv.port('smtp'));
    await c.until(/^220 /);
    await c.cmd('EHLO client.example.net', /^250 /);
    await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await c.cmd(`RCPT TO:<${LOWUID}@sys.example>`, /^\d{3} /), /^550 /);
    c.close();
  });

  it('logs in a user whose /etc/shadow hash is yescrypt (with the native addon)', async () => {
    assert.match(await imapLogin(`${YES}@sys.example`, PASSWORD), /^x OK/m);
    assert.match(await imapLogin(`${YES}@sys.example`, 'not-the-password'), /^x NO/m);
  });

  it('refuses a locked account', async () => {
    assert.match(await imapLogin(`${LOCKED}@sys.example`, PASSWORD), /^x NO /m);
  });
});
