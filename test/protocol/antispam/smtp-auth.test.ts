/**
 * Inbound authentication on the port-25 listener: the Authentication-Results header (RFC 8601) on delivered
 * mail, forged ones with our name removed, DMARC p=reject → 550 5.7.1 at end of DATA, p=quarantine → Junk,
 * SPF fail → 550 5.7.23 when configured, and no checks for trusted clients. Clients connect from 127.0.0.2
 * (untrusted here) and 127.0.0.1 (trusted).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateDkimKey, loadDkimKeys } from '../../../src/protocols/smtp/server/dkim-keys.js';
import { dkimSignatures } from '../../../src/protocols/smtp/server/dkim-sign.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { RawClient, greetAndEhlo } from '../smtp/raw-client.js';

const UNTRUSTED = '127.0.0.2';

async function mailbox(srv: TestServer, address: string, name: string): Promise<string[]> {
  const acct = await srv.store.getAccount(address);
  const mb = acct && (await srv.store.getMailbox(acct.id, name));
  if (!mb) return [];
  const list = await srv.store.listMessages(mb.id);
  const rows = await srv.store.getMessages(mb.id, list.map((m) => m.uid));
  return Promise.all(rows.map(async (r) => r.prefix + (await srv.store.blobs.read(r.blobId)).toString('latin1')));
}

async function send(srv: TestServer, sender: string, message: string | Buffer, from = UNTRUSTED): Promise<{ code: number; text: string }> {
  const c = await RawClient.connect(srv.port('smtp'), { localAddress: from });
  await greetAndEhlo(c, 'mail.sender.test');
  assert.equal((await c.cmd(`MAIL FROM:<${sender}>`)).code, 250);
  assert.equal((await c.cmd('RCPT TO:<ivanov@example.org>')).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const payload = Buffer.isBuffer(message) ? message.toString('latin1') : message;
  const r = await c.data(`${payload}.\r\n`, 10_000);
  await c.cmd('QUIT').catch(() => undefined);
  return { code: r.code, text: r.text };
}

function msg(from: string, subject: string, extraHeaders = ''): string {
  return `${extraHeaders}From: ${from}\r\nTo: ivanov@example.org\r\nSubject: ${subject}\r\nDate: Sat, 28 Nov 2026 01:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@sender.test>\r\n\r\nHello.\r\n`;
}

function find(list: string[], subject: string): string | undefined {
  return list.find((m) => m.includes(`Subject: ${subject}\r\n`));
}

describe('inbound authentication on port 25', () => {
  let srv: TestServer;
  let keyDir: string;

  before(async () => {
    srv = await startServer({
      users: [{ address: 'ivanov@example.org', password: 'pw-ivanov-1234' }],
      toml: '[relay]\ntrusted_networks = ["127.0.0.1/32"]\n',
    });
    keyDir = await mkdtemp(join(tmpdir(), 'pochta-dkim-'));
    const k = await generateDkimKey(keyDir, 'sender.test', 's1', 'rsa');
    srv.dns.add(k.txtName, 'TXT', k.txt);
    srv.dns.add('sender.test', 'TXT', `v=spf1 ip4:${UNTRUSTED} -all`);
    srv.dns.add('mail.sender.test', 'TXT', `v=spf1 ip4:${UNTRUSTED} -all`);
    srv.dns.add('_dmarc.sender.test', 'TXT', 'v=DMARC1; p=reject');
    srv.dns.add('strict.test', 'TXT', 'v=spf1 -all');
    srv.dns.add('_dmarc.strict.test', 'TXT', 'v=DMARC1; p=reject');
    srv.dns.add('quar.test', 'TXT', 'v=spf1 -all');
    srv.dns.add('_dmarc.quar.test', 'TXT', 'v=DMARC1; p=quarantine');
  });
  after(async () => {
    await srv.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  it('adds Authentication-Results with dkim, spf and dmarc pass for signed, authorized mail', async () => {
    const raw = Buffer.from(msg('a@sender.test', 'signed ok'));
    const { headers } = await dkimSignatures(raw, await loadDkimKeys(keyDir, 'sender.test'));
    const r = await send(srv, 'a@sender.test', Buffer.concat([Buffer.from(headers), raw]));
    assert.equal(r.code, 250, r.text);
    const m = find(await mailbox(srv, 'ivanov@example.org', 'INBOX'), 'signed ok');
    assert.ok(m);
    const ar = /^Authentication-Results: mx\.example\.org;[^]*?\r\n(?=\S)/m.exec(m)?.[0] ?? '';
    assert.match(ar, /dkim=pass/);
    assert.match(ar, /spf=pass .*smtp\.mailfrom=a@sender\.test/);
    assert.match(ar, /spf=pass smtp\.helo=mail\.sender\.test/);
    assert.match(ar, /dmarc=pass/);
    // Our field sits above our Received (newest trace first).
    assert.ok(m.indexOf('Authentication-Results: mx.example.org') < m.indexOf('Received: from'));
  });

  it('removes incoming Authentication-Results that claim our name and keeps others', async () => {
    const forged = 'Authentication-Results: MX.example.org; dkim=pass header.d=bank.test\r\nAuthentication-Results: mx.other.test; spf=pass\r\n';
    const r = await send(srv, 'a@sender.test', msg('a@sender.test', 'forged ar', forged));
    assert.equal(r.code, 250, r.text);
    const m = find(await mailbox(srv, 'ivanov@example.org', 'INBOX'), 'forged ar') ?? '';
    assert.doesNotMatch(m, /bank\.test/);
    assert.match(m, /Authentication-Results: mx\.other\.test; spf=pass/);
    assert.equal(m.match(/^Authentication-Results: mx\.example\.org/gim)?.length, 1);
  });

  it('rejects a DMARC p=reject failure with 550 5.7.1 at end of DATA and stores nothing', async () => {
    const r = await send(srv, 'a@strict.test', msg('a@strict.test', 'dmarc reject'));
    assert.equal(r.code, 550);
    assert.match(r.text, /5\.7\.1/);
    assert.equal(find(await mailbox(srv, 'ivanov@example.org', 'INBOX'), 'dmarc reject'), undefined);
  });

  it('files a DMARC p=quarantine failure into Junk', async () => {
    const r = await send(srv, 'a@quar.test', msg('a@quar.test', 'dmarc quarantine'));
    assert.equal(r.code, 250, r.text);
    assert.equal(find(await mailbox(srv, 'ivanov@example.org', 'INBOX'), 'dmarc quarantine'), undefined);
    const m = find(await mailbox(srv, 'ivanov@example.org', 'Junk'), 'dmarc quarantine');
    assert.ok(m);
    assert.match(m, /dmarc=fail/);
  });

  it('does not check mail from a trusted network', async () => {
    const r = await send(srv, 'a@strict.test', msg('a@strict.test', 'trusted'), '127.0.0.1');
    assert.equal(r.code, 250, r.text);
    const m = find(await mailbox(srv, 'ivanov@example.org', 'INBOX'), 'trusted') ?? '';
    assert.doesNotMatch(m, /^Authentication-Results:/m);
  });

  it('answers in bounded time when the DNS does not answer (temperror, delivered)', async () => {
    srv.dns.setTimeout('slow.test');
    srv.dns.setTimeout('_dmarc.slow.test');
    const r = await send(srv, 'a@slow.test', msg('a@slow.test', 'slow dns'));
    assert.equal(r.code, 250, r.text);
    const m = find(await mailbox(srv, 'ivanov@example.org', 'INBOX'), 'slow dns') ?? '';
    assert.match(m, /spf=temperror/);
  });
});

describe('SPF fail policy set to reject', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: [{ address: 'ivanov@example.org', password: 'pw-ivanov-1234' }],
      toml: '[relay]\ntrusted_networks = ["127.0.0.1/32"]\n[antispam]\nspf_fail = "reject"\n',
    });
    srv.dns.add('hardfail.test', 'TXT', 'v=spf1 -all');
    srv.dns.add('soft.test', 'TXT', 'v=spf1 ~all');
  });
  after(async () => {
    await srv.close();
  });

  it('rejects SPF fail with 550 5.7.23', async () => {
    const r = await send(srv, 'a@hardfail.test', msg('a@hardfail.test', 'spf fail'));
    assert.equal(r.code, 550);
    assert.match(r.text, /5\.7\.23/);
  });

  it('accepts and tags a softfail', async () => {
    const r = await send(srv, 'a@soft.test', msg('a@soft.test', 'spf softfail'));
    assert.equal(r.code, 250, r.text);
    assert.match(find(await mailbox(srv, 'ivanov@example.org', 'INBOX'), 'spf softfail') ?? '', /spf=softfail/);
  });
});
