/**
 * Spam filtering with the real SpamAssassin spamd (Debian package, started on loopback): the GTUBE test string is
 * rejected with 550 5.7.1 above spam_reject_score or filed to Junk below it, a clean message goes to INBOX with
 * an X-Spam-Status header, and a filter that is down means accept (logged) or 451 4.7.1, as configured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpamdClient } from '../../../src/antispam/spam-filter.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { RawClient, greetAndEhlo } from '../smtp/raw-client.js';
import { startSpamd, type Daemon } from './daemons.js';

const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

function message(subject: string, body: string): string {
  return `From: kozlov@remote.test\r\nTo: ivanov@example.org\r\nSubject: ${subject}\r\nDate: Sat, 28 Nov 2026 01:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@remote.test>\r\n\r\n${body}\r\n`;
}

async function send(srv: TestServer, subject: string, body: string, extraHeaders = ''): Promise<{ code: number; text: string }> {
  const c = await RawClient.connect(srv.port('smtp'), { localAddress: '127.0.0.2' });
  await greetAndEhlo(c, 'mail.remote.test');
  assert.equal((await c.cmd('MAIL FROM:<kozlov@remote.test>')).code, 250);
  assert.equal((await c.cmd('RCPT TO:<ivanov@example.org>')).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const r = await c.data(`${extraHeaders}${message(subject, body)}.\r\n`, 30_000);
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

function server(toml: string): Promise<TestServer> {
  return startServer({
    users: [{ address: 'ivanov@example.org', password: 'pw-ivanov-1234' }],
    toml: `[relay]\ntrusted_networks = ["127.0.0.1/32"]\n[antispam]\nauthentication = false\nspam_filter_timeout = 20\n${toml}`,
  });
}

describe('spam filtering with SpamAssassin spamd', () => {
  let spamd: Daemon | null = null;
  before(async () => {
    spamd = await startSpamd();
  });
  after(async () => {
    await spamd?.stop();
  });

  it('spamd answers GTUBE as spam through the spamc protocol', async () => {
    if (spamd === null) assert.fail('spamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
    const v = await new SpamdClient({ host: '127.0.0.1', port: spamd.port, timeoutMs: 20_000 }).check(Buffer.from(message('gtube direct', GTUBE)));
    assert.equal(v.isSpam, true);
    assert.ok(v.score >= 1000);
    assert.ok(v.symbols.includes('GTUBE'));
  });

  describe('through the server', () => {
    let reject: TestServer;
    let junk: TestServer;
    before(async () => {
      if (spamd === null) return;
      reject = await server(`spam_filter = "spamd"\nspam_filter_address = "127.0.0.1:${spamd.port}"\nspam_reject_score = 15\n`);
      junk = await server(`spam_filter = "spamd"\nspam_filter_address = "127.0.0.1:${spamd.port}"\n`);
    });
    after(async () => {
      await reject?.close();
      await junk?.close();
    });

    it('rejects GTUBE with 550 5.7.1 when its score reaches spam_reject_score', async () => {
      if (spamd === null) assert.fail('spamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
      const r = await send(reject, 'gtube reject', GTUBE);
      assert.equal(r.code, 550, r.text);
      assert.match(r.text, /5\.7\.1/);
      assert.deepEqual(await mailbox(reject, 'INBOX'), []);
    });

    it('files GTUBE to Junk with X-Spam-Flag when no reject score is set', async () => {
      if (spamd === null) assert.fail('spamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
      const r = await send(junk, 'gtube junk', GTUBE);
      assert.equal(r.code, 250, r.text);
      const [m] = await mailbox(junk, 'Junk');
      assert.ok(m);
      assert.match(m, /^X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=\d+\.\d required=5\.0 filter=spamd tests=.*GTUBE/);
    });

    it('delivers a clean message to INBOX with X-Spam-Status: No', async () => {
      if (spamd === null) assert.fail('spamd is not installed: run scripts/install-test-deps.sh (a missing daemon is a failure, never a skip)');
      const r = await send(junk, 'clean mail', 'Dear Ivanov, the meeting is at noon tomorrow. Regards, Kozlov');
      assert.equal(r.code, 250, r.text);
      const inbox = await mailbox(junk, 'INBOX');
      assert.equal(inbox.length, 1);
      assert.match(inbox[0]!, /^X-Spam-Status: No, score=/);
    });
  });
});

describe('a spam filter that is down', () => {
  let accept: TestServer;
  let tempfail: TestServer;
  before(async () => {
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    accept = await server('spam_filter = "spamd"\nspam_filter_address = "127.0.0.1:9"\n');
    tempfail = await server('spam_filter = "rspamd"\nspam_filter_address = "127.0.0.1:9"\nspam_filter_failure = "tempfail"\n');
  });
  after(async () => {
    await accept.close();
    await tempfail.close();
  });

  it('accepts the message unfiltered by default, without forged verdict headers', async () => {
    const r = await send(accept, 'filter down', `${GTUBE}`, 'X-Spam-Status: No, score=-100.0\r\nX-Spam-Flag: NO\r\n');
    assert.equal(r.code, 250, r.text);
    const [m] = await mailbox(accept, 'INBOX');
    assert.match(m ?? '', /Subject: filter down/);
    assert.doesNotMatch(m ?? '', /X-Spam-/);
  });

  it('answers 451 4.7.1 with spam_filter_failure = "tempfail"', async () => {
    const r = await send(tempfail, 'filter down tempfail', 'hello');
    assert.equal(r.code, 451);
    assert.match(r.text, /4\.7\.1/);
  });
});
