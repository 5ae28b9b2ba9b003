/**
 * Spam filtering with the real rspamd (Debian package, started on loopback with the fake DNS as its resolver):
 * GTUBE is rejected with 550 5.7.1 at spam_reject_score or filed to Junk without one, and a clean message is
 * delivered to INBOX with X-Spam-Status: No.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RspamdClient } from '../../../src/antispam/spam-filter.js';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { RawClient, greetAndEhlo } from '../smtp/raw-client.js';
import { startRspamd, type Daemon } from './daemons.js';

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

function message(subject: string, body: string): string {
  return `From: Kozlov <kozlov@remote.test>\r\nTo: ivanov@example.org\r\nSubject: ${subject}\r\nDate: Sat, 28 Nov 2026 01:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@remote.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
}

async function send(srv: TestServer, subject: string, body: string): Promise<{ code: number; text: string }> {
  const c = await RawClient.connect(srv.port('smtp'), { localAddress: '127.0.0.2' });
  await greetAndEhlo(c, 'mail.remote.test');
  assert.equal((await c.cmd('MAIL FROM:<kozlov@remote.test>')).code, 250);
  assert.equal((await c.cmd('RCPT TO:<ivanov@example.org>')).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const r = await c.data(`${message(subject, body)}.\r\n`, 30_000);
  c.close();
  return { code: r.code, text: r.text };
}

async function mailbox(srv: TestServer, name: string): Promise<string[]> {
  const acct = await srv.store.getAccount('ivanov@example.org');
  const mb = acct && (await srv.store.getMailbox(acct.id, name));
  if (!mb) return [];
  const rows = await srv.store.getMessages(mb.id, (await srv.store.listMessages(mb.id)).map((m) => m.uid));
  return Promise.all(rows.map(async (r) => (await srv.store.blobs.read(r.blobId)).toString('latin1')));
}

describe('spam filtering with rspamd', () => {
  let dns: FakeDns;
  let rspamd: Daemon | null = null;
  let reject: TestServer;
  let junk: TestServer;
  before(async () => {
    dns = await startFakeDns();
    rspamd = await startRspamd(dns.server);
    if (rspamd === null) return;
    const base = `[relay]\ntrusted_networks = ["127.0.0.1/32"]\n[antispam]\nauthentication = false\nspam_filter = "rspamd"\nspam_filter_timeout = 30\nspam_filter_address = "127.0.0.1:${rspamd.port}"\n`;
    const users = [{ address: 'ivanov@example.org', password: 'pw-ivanov-1234' }];
    reject = await startServer({ dns, users, toml: `${base}spam_reject_score = 15\n` });
    junk = await startServer({ dns, users, toml: base });
  });
  after(async () => {
    await reject?.close();
    await junk?.close();
    await rspamd?.stop();
    await dns.close();
  });

  it('rspamd answers GTUBE with the reject action over HTTP', async () => {
    if (rspamd === null) assert.fail('rspamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
    const v = await new RspamdClient({ host: '127.0.0.1', port: rspamd.port, timeoutMs: 30_000 }).check(Buffer.from(message('gtube direct', GTUBE)), {
      ip: '127.0.0.2',
      helo: 'mail.remote.test',
      sender: 'kozlov@remote.test',
      recipients: ['ivanov@example.org'],
      hostname: 'mx.example.org',
    });
    assert.equal(v.action, 'reject');
    assert.ok(v.symbols.includes('GTUBE'));
  });

  it('rejects GTUBE with 550 5.7.1 at spam_reject_score', async () => {
    if (rspamd === null) assert.fail('rspamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
    const r = await send(reject, 'gtube reject', GTUBE);
    assert.equal(r.code, 550, r.text);
    assert.match(r.text, /5\.7\.1/);
  });

  it('files GTUBE to Junk without a reject score', async () => {
    if (rspamd === null) assert.fail('rspamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
    assert.equal((await send(junk, 'gtube junk', GTUBE)).code, 250);
    const [m] = await mailbox(junk, 'Junk');
    assert.match(m ?? '', /^X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=15\.0 required=15\.0 filter=rspamd tests=.*GTUBE/);
  });

  it('delivers a clean message to INBOX', async () => {
    if (rspamd === null) assert.fail('rspamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
    assert.equal((await send(junk, 'clean mail', 'Dear Ivanov, the meeting is at noon tomorrow. Regards, Kozlov')).code, 250);
    const inbox = await mailbox(junk, 'INBOX');
    assert.equal(inbox.length, 1);
    assert.match(inbox[0]!, /^X-Spam-Status: No, score=/);
  });
});
