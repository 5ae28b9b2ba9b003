// End-to-end: forwarding without breaking SPF (issue 7 item 6). Three pochta instances on loopback, one fake
// DNS, SMTP on one common port P (queue remote_port = P):
//   fwd.test    (127.0.0.2, mx.fwd.test): alias list@fwd.test → bob@dest.test (remote) + carol@fwd.test (local)
//   dest.test   (127.0.0.3, mx.dest.test): bob's mailbox; its Return-Path shows the MAIL FROM it was given
//   sender.test (127.0.0.4, mx.sender.test): alice, the original sender, who gets the bounce back
// Python's smtplib plays the remote servers that talk to fwd.test (nothing on loopback is trusted).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { srsHash } from '../../src/antispam/srs.js';
import { startFakeDns, type FakeDns } from '../helpers/fake-dns.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { eventually, inbox, type Delivered } from '../protocol/smtp/mailbox.js';

const PASSWORD = 'correct horse battery';

async function commonFreePort(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers: net.Server[] = [];
    let port = 0;
    let ok = true;
    for (const a of addresses) {
      const s = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(port, a, () => resolve(true));
      });
      if (!ok) break;
      servers.push(s);
      if (port === 0) port = (s.address() as net.AddressInfo).port;
    }
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    if (ok) return port;
  }
  throw new Error('no common free port');
}

interface SmtpOutcome {
  ok: boolean;
  code: number;
  text: string;
}

/** One message through Python's smtplib: MAIL FROM `from` ('' is <>), one RCPT; the reply that decided it. */
function smtplibSend(host: string, port: number, from: string, to: string, subject: string): Promise<SmtpOutcome> {
  const script = `
import json, smtplib, sys
host, port, sender, rcpt, subject = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
msg = ("From: <%s>\\r\\nTo: <%s>\\r\\nSubject: %s\\r\\nMessage-ID: <%s@sender.test>\\r\\n\\r\\nbody\\r\\n" % (sender or "MAILER-DAEMON@x.test", rcpt, subject, subject.replace(" ", "-")))
try:
    s = smtplib.SMTP(host, port, local_hostname="client.sender.test", timeout=10)
    s.sendmail(sender, [rcpt], msg)
    s.quit()
    print(json.dumps({"ok": True, "code": 250, "text": ""}))
except smtplib.SMTPRecipientsRefused as e:
    code, text = list(e.recipients.values())[0]
    print(json.dumps({"ok": False, "code": code, "text": text.decode()}))
except smtplib.SMTPResponseException as e:
    print(json.dumps({"ok": False, "code": e.smtp_code, "text": e.smtp_error.decode()}))
`;
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, host, String(port), from, to, subject], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`smtplib failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as SmtpOutcome);
    });
  });
}

async function waitFor(srv: TestServer, address: string, marker: string, timeoutMs = 8000): Promise<Delivered> {
  let found: Delivered | undefined;
  await eventually(async () => {
    found = (await inbox(srv, address)).find((m) => m.full.includes(marker));
    return found !== undefined;
  }, timeoutMs);
  return found!;
}

function returnPath(m: Delivered): string {
  return /^Return-Path: <([^>]*)>/im.exec(m.full)?.[1] ?? '(none)';
}

describe('SRS: an alias forwards to a remote address and bounces find their way back', () => {
  let dns: FakeDns;
  let fwd: TestServer;
  let dest: TestServer;
  let sender: TestServer;
  let P: number;

  before(async () => {
    dns = await startFakeDns();
    P = await commonFreePort(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    for (const [domain, mx, ip] of [
      ['fwd.test', 'mx.fwd.test', '127.0.0.2'],
      ['dest.test', 'mx.dest.test', '127.0.0.3'],
      ['sender.test', 'mx.sender.test', '127.0.0.4'],
    ] as const) {
      dns.add(domain, 'MX', { exchange: mx, priority: 10 });
      dns.add(mx, 'A', ip);
      dns.addPtr(ip, mx);
    }
    const toml = `[relay]\ntrusted_networks = ["192.0.2.0/24"]\n\n[queue]\nremote_port = ${P}\nretry_initial = 1\nretry_max = 2\n`;
    const start = (address: string, hostname: string, domain: string, users: string[], extra = ''): Promise<TestServer> =>
      startServer({
        dns,
        address,
        hostname,
        listeners: [{ protocol: 'smtp', port: P }, { protocol: 'submission', tls: 'starttls' }],
        domains: [domain],
        users: users.map((a) => ({ address: a, password: PASSWORD })),
        aliases: domain === 'fwd.test' ? [{ address: 'list@fwd.test', targets: ['bob@dest.test', 'carol@fwd.test'] }] : [],
        toml: toml + extra,
      });
    fwd = await start('127.0.0.2', 'mx.fwd.test', 'fwd.test', ['carol@fwd.test', 'dave@fwd.test']);
    dest = await start('127.0.0.3', 'mx.dest.test', 'dest.test', ['bob@dest.test']);
    sender = await start('127.0.0.4', 'mx.sender.test', 'sender.test', ['alice@sender.test']);
  });

  after(async () => {
    await fwd?.close();
    await dest?.close();
    await sender?.close();
    await dns?.close();
  });

  let srsAddress = '';

  test('the forwarded copy leaves with MAIL FROM:<SRS0=...@mx.fwd.test>; the local copy keeps the sender', async () => {
    const r = await smtplibSend('127.0.0.2', P, 'alice@sender.test', 'list@fwd.test', 'SRS forwarded');
    assert.deepEqual(r, { ok: true, code: 250, text: '' });
    const remote = await waitFor(dest, 'bob@dest.test', 'Subject: SRS forwarded');
    srsAddress = returnPath(remote);
    assert.match(srsAddress, /^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=sender\.test=alice@mx\.fwd\.test$/);
    const local = await waitFor(fwd, 'carol@fwd.test', 'Subject: SRS forwarded');
    assert.equal(returnPath(local), 'alice@sender.test');
  });

  test('the secret was generated 0600 in the data directory', async () => {
    const { stat } = await import('node:fs/promises');
    const { join } = await import('node:path');
    assert.equal((await stat(join(fwd.dataDir, 'srs.secret'))).mode & 0o777, 0o600);
  });

  test('a bounce to the SRS address is accepted and relayed to the original sender', async () => {
    assert.notEqual(srsAddress, '');
    const r2 = await smtplibSend('127.0.0.2', P, '', srsAddress, 'SRS bounce');
    assert.deepEqual(r2, { ok: true, code: 250, text: '' });
    const back = await waitFor(sender, 'alice@sender.test', 'Subject: SRS bounce');
    assert.equal(returnPath(back), '');
    // Folded to lower case by some relay on the way: still accepted (postsrsd does the same).
    const r3 = await smtplibSend('127.0.0.2', P, '', srsAddress.toLowerCase(), 'SRS lowercase bounce');
    assert.equal(r3.code, 250);
    await waitFor(sender, 'alice@sender.test', 'Subject: SRS lowercase bounce');
  });

  test('a forged or tampered SRS address is refused with 550 5.1.1', async () => {
    const stamp = srsAddress.split('=')[2] as string;
    const forged = `SRS0=${srsHash('guessed secret', [stamp, 'victim.test', 'x'])}=${stamp}=victim.test=x@mx.fwd.test`;
    for (const rcpt of [forged, srsAddress.replace('=alice@', '=admin@'), 'SRS0=garbage@mx.fwd.test']) {
      const r = await smtplibSend('127.0.0.2', P, '', rcpt, 'SRS forged');
      assert.equal(r.code, 550, `${rcpt}: ${r.code} ${r.text}`);
      assert.match(r.text, /^5\.1\.1 /);
    }
    // Nor is the SRS domain an open relay for other local parts.
    const other = await smtplibSend('127.0.0.2', P, '', 'someone@mx.fwd.test', 'SRS other');
    assert.equal(other.code, 550);
  });

  test('a sender in one of our domains is never rewritten', async () => {
    const t = nodemailer.createTransport({
      host: '127.0.0.2',
      port: fwd.port('submission'),
      requireTLS: true,
      auth: { user: 'dave@fwd.test', pass: PASSWORD, method: 'PLAIN' },
      tls: { ca: [fwd.ca], servername: 'mx.test' },
    });
    try {
      await t.sendMail({ from: 'dave@fwd.test', to: 'list@fwd.test', subject: 'SRS local sender', text: 'hi' });
    } finally {
      t.close();
    }
    const remote = await waitFor(dest, 'bob@dest.test', 'Subject: SRS local sender');
    assert.equal(returnPath(remote), 'dave@fwd.test');
  });
});
