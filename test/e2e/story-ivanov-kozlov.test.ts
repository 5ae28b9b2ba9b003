// End-to-end: the mission document's story (issue 4 "Done when") with two pochta instances in this process.
// example.org's server listens on 127.0.0.2 and example.com's on 127.0.0.3, both with SMTP on one common port P
// (`[queue] remote_port = P` makes each queue deliver to port P of the MX address); one fake DNS serves their
// MX, A and PTR records and the odd domains of the story. Neither instance trusts 127.0.0.0/8, so only AUTH or
// mail for local domains passes. nodemailer plays the mail clients (submission with STARTTLS and AUTH PLAIN).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import nodemailer, { type Transporter } from 'nodemailer';
import { startFakeDns, type FakeDns } from '../helpers/fake-dns.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { eventually, inbox, type Delivered } from '../protocol/smtp/mailbox.js';

const PASSWORD = 'correct horse battery';

/** A port free on every one of `addresses` (bound on each, then released). */
async function commonFreePort(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      first.once('error', reject);
      first.listen(0, addresses[0], () => resolve((first.address() as net.AddressInfo).port));
    });
    const others: net.Server[] = [];
    let ok = true;
    for (const a of addresses.slice(1)) {
      const s = net.createServer();
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(port, a, () => resolve(true));
      });
      if (!ok) break;
      others.push(s);
    }
    await Promise.all([first, ...others].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    if (ok) return port;
  }
  throw new Error('no common free port');
}

function instanceToml(smtpPort: number): string {
  return [
    // Nothing on loopback is trusted: relaying needs AUTH (submission) or a local recipient domain.
    `[relay]\ntrusted_networks = ["192.0.2.0/24"]\n`,
    // RFC 5321 §4.5.4.1 lifetimes shortened for the test: 1 s doubling to 2 s, bounce after 4 s.
    `[queue]\nremote_port = ${smtpPort}\nretry_initial = 1\nretry_max = 2\nmax_lifetime = 4\n`,
  ].join('\n');
}

interface Instance {
  srv: TestServer;
  host: string;
  submission(user: string): Transporter;
}

async function startInstance(dns: FakeDns, o: { address: string; hostname: string; smtpPort: number; domains: string[]; users: string[] }): Promise<Instance> {
  const srv = await startServer({
    dns,
    address: o.address,
    hostname: o.hostname,
    listeners: [{ protocol: 'smtp', port: o.smtpPort }, { protocol: 'submission', tls: 'starttls' }],
    domains: o.domains,
    users: o.users.map((address) => ({ address, password: PASSWORD })),
    toml: instanceToml(o.smtpPort),
  });
  return {
    srv,
    host: o.address,
    submission: (user) =>
      nodemailer.createTransport({
        host: o.address,
        port: srv.port('submission'),
        requireTLS: true,
        auth: { user, pass: PASSWORD, method: 'PLAIN' },
        tls: { ca: [srv.ca], servername: 'mx.test' },
      }),
  };
}

/** The INBOX message of `address` at `srv` whose bytes contain `marker`, waiting for it to arrive. */
async function waitFor(srv: TestServer, address: string, marker: string, timeoutMs = 8000): Promise<Delivered> {
  let found: Delivered | undefined;
  await eventually(async () => {
    found = (await inbox(srv, address)).find((m) => m.full.includes(marker));
    return found !== undefined;
  }, timeoutMs);
  return found!;
}

/** Asserts an RFC 3464 report about `recipient` with the given status (and returns its text). */
function assertBounce(m: Delivered, recipient: string, status: RegExp): string {
  const text = m.full;
  assert.match(text, /^Content-Type: multipart\/report;[\s\S]*?report-type="?delivery-status/im);
  assert.match(text, /^Content-Type: message\/delivery-status/im);
  assert.match(text, new RegExp(`^Final-Recipient: rfc822;\\s*${recipient.replace(/[.]/g, '\\.')}`, 'im'));
  assert.match(text, /^Action: failed/im);
  assert.match(text, status);
  assert.match(text, /^From: .*MAILER-DAEMON/im);
  return text;
}

describe('the story: Ivanov at example.org writes to Kozlov at example.com', () => {
  let dns: FakeDns;
  let org: Instance;
  let com: Instance;
  let P: number;

  before(async () => {
    dns = await startFakeDns();
    P = await commonFreePort(['127.0.0.2', '127.0.0.3']);
    for (const [domain, mx, ip] of [
      ['example.org', 'mx.example.org', '127.0.0.2'],
      ['example.com', 'mx.example.com', '127.0.0.3'],
    ] as const) {
      dns.add(domain, 'MX', { exchange: mx, priority: 10 });
      dns.add(mx, 'A', ip);
      dns.addPtr(ip, mx);
    }
    // A domain with only an A record: its implicit MX (RFC 5321 §5.1) is example.com's server.
    dns.add('onlya.test', 'A', '127.0.0.3');
    // The primary MX has nothing listening; the secondary is example.com's server.
    dns.add('backup.test', 'MX', { exchange: 'mx1.backup.test', priority: 10 });
    dns.add('backup.test', 'MX', { exchange: 'mx.example.com', priority: 20 });
    dns.add('mx1.backup.test', 'A', '127.0.0.4');
    // A domain whose only MX never answers: retried, then bounced after max_lifetime.
    dns.add('unreachable.test', 'MX', { exchange: 'mx.unreachable.test', priority: 10 });
    dns.add('mx.unreachable.test', 'A', '127.0.0.5');
    // RFC 7505: the null MX.
    dns.add('nullmx.test', 'MX', { exchange: '.', priority: 0 });

    org = await startInstance(dns, {
      address: '127.0.0.2',
      hostname: 'mx.example.org',
      smtpPort: P,
      domains: ['example.org'],
      users: ['ivanov@example.org', 'petrov@example.org'],
    });
    com = await startInstance(dns, {
      address: '127.0.0.3',
      hostname: 'mx.example.com',
      smtpPort: P,
      domains: ['example.com', 'onlya.test', 'backup.test'],
      users: ['kozlov@example.com', 'sidorova@onlya.test', 'smirnov@backup.test'],
    });
  });

  after(async () => {
    await org?.srv.close();
    await com?.srv.close();
    await dns?.close();
  });

  test('ivanov submits one message to petrov (local) and kozlov (remote): both receive it', async () => {
    const info = await org.submission('ivanov@example.org').sendMail({
      from: 'Ivanov <ivanov@example.org>',
      to: ['petrov@example.org', 'kozlov@example.com'],
      subject: 'Story: hello',
      text: 'Privet, Kozlov!',
    });
    assert.deepEqual([...(info.accepted as string[])].sort(), ['kozlov@example.com', 'petrov@example.org']);
    const local = await waitFor(org.srv, 'petrov@example.org', 'Subject: Story: hello');
    assert.match(local.full, /with ESMTPSA/);
    const remote = await waitFor(com.srv, 'kozlov@example.com', 'Subject: Story: hello');
    // It crossed to example.com over SMTP from example.org's queue (a Received line by mx.example.com).
    assert.match(remote.full, /^Received: from mx\.example\.org[\s\S]*?by mx\.example\.com/im);
    assert.match(remote.full, /^Message-ID: /im);
    assert.match(remote.full, /^Date: /im);
  });

  test('kozlov replies through example.com and ivanov receives it', async () => {
    await com.submission('kozlov@example.com').sendMail({
      from: 'kozlov@example.com',
      to: 'ivanov@example.org',
      subject: 'Re: Story: hello',
      text: 'Privet, Ivanov!',
    });
    const reply = await waitFor(org.srv, 'ivanov@example.org', 'Subject: Re: Story: hello');
    assert.match(reply.full, /by mx\.example\.org/);
  });

  test('mail to a nonexistent example.com user brings an RFC 3464 bounce with the 550 into ivanov\'s INBOX', async () => {
    await org.submission('ivanov@example.org').sendMail({
      from: 'ivanov@example.org',
      to: 'nosuchuser@example.com',
      subject: 'Story: to nobody',
      text: 'Is anybody there?',
    });
    const bounce = await waitFor(org.srv, 'ivanov@example.org', 'nosuchuser@example.com');
    const text = assertBounce(bounce, 'nosuchuser@example.com', /^Status: 5\.1\.1/im);
    assert.match(text, /^Remote-MTA: dns;\s*mx\.example\.com/im);
    assert.match(text, /^Diagnostic-Code: smtp;\s*550/im);
    assert.match(text, /Subject: Story: to nobody/);
  });

  test('a domain with only an A record is reached through its implicit MX', async () => {
    await org.submission('ivanov@example.org').sendMail({ from: 'ivanov@example.org', to: 'sidorova@onlya.test', subject: 'Story: implicit MX', text: 'A record only' });
    await waitFor(com.srv, 'sidorova@onlya.test', 'Subject: Story: implicit MX');
    assert.ok(dns.queries.some((q) => q.name === 'onlya.test' && q.type === 'MX'));
  });

  test('with the primary MX down, the secondary takes the message', async () => {
    await org.submission('ivanov@example.org').sendMail({ from: 'ivanov@example.org', to: 'smirnov@backup.test', subject: 'Story: backup MX', text: 'Primary is down' });
    await waitFor(com.srv, 'smirnov@backup.test', 'Subject: Story: backup MX');
    assert.ok(dns.queries.some((q) => q.name === 'mx1.backup.test' && q.type === 'A'), 'the primary was tried first');
  });

  test('a null-MX domain bounces at once (RFC 7505: 556 5.1.10)', async () => {
    const t0 = Date.now();
    await org.submission('ivanov@example.org').sendMail({ from: 'ivanov@example.org', to: 'someone@nullmx.test', subject: 'Story: null MX', text: 'Nobody home' });
    const bounce = await waitFor(org.srv, 'ivanov@example.org', 'someone@nullmx.test', 3000);
    assertBounce(bounce, 'someone@nullmx.test', /^Status: 5\.1\.10/im);
    assert.ok(Date.now() - t0 < 3000);
  });

  test('an unreachable domain is retried, then bounced after the (shortened) lifetime', async () => {
    const t0 = Date.now();
    await org.submission('ivanov@example.org').sendMail({ from: 'ivanov@example.org', to: 'someone@unreachable.test', subject: 'Story: unreachable', text: 'Knock knock' });
    // Deferred first: still in the queue, no bounce yet.
    await eventually(async () => (await org.srv.store.listQueue()).some((e) => e.recipients.some((r) => r.address === 'someone@unreachable.test' && r.state === 'deferred')), 3000);
    assert.ok(!(await inbox(org.srv, 'ivanov@example.org')).some((m) => m.full.includes('someone@unreachable.test')));
    const bounce = await waitFor(org.srv, 'ivanov@example.org', 'someone@unreachable.test', 12_000);
    const elapsed = Date.now() - t0;
    assertBounce(bounce, 'someone@unreachable.test', /^Status: 5\.4\.7/im);
    assert.ok(elapsed >= 3500, `bounced after ${elapsed} ms, before max_lifetime`);
    const tries = dns.queries.filter((q) => q.name === 'unreachable.test' && q.type === 'MX').length;
    assert.ok(tries >= 3, `MX looked up ${tries} times: retried`);
    // The bounce is stored before the entry is removed (nothing lost in between): the entry goes just after.
    await eventually(async () => !(await org.srv.store.listQueue()).some((e) => e.recipients.some((r) => r.address === 'someone@unreachable.test')), 3000);
  });

  test('ivanov cannot send as kozlov (553 5.7.1)', async () => {
    await assert.rejects(
      org.submission('ivanov@example.org').sendMail({ from: 'kozlov@example.com', to: 'petrov@example.org', subject: 'Forged', text: 'x' }),
      (err: Error & { responseCode?: number; response?: string }) => {
        assert.equal(err.responseCode, 553);
        assert.match(err.response ?? '', /^553 5\.7\.1 /);
        return true;
      },
    );
  });

  test('an unauthenticated client on port 25 cannot relay, but may deliver to a local domain', async () => {
    const port25 = nodemailer.createTransport({ host: com.host, port: P, ignoreTLS: true, name: 'client.example' });
    await assert.rejects(
      port25.sendMail({ from: 'spammer@elsewhere.test', to: 'petrov@example.org', subject: 'Relay?', text: 'x' }),
      (err: Error & { responseCode?: number; response?: string }) => {
        assert.equal(err.responseCode, 554);
        assert.match(err.response ?? '', /5\.7\.1/);
        return true;
      },
    );
    await port25.sendMail({ from: 'friend@elsewhere.test', to: 'kozlov@example.com', subject: 'Story: inbound', text: 'x' });
    await waitFor(com.srv, 'kozlov@example.com', 'Subject: Story: inbound');
    assert.ok(!(await inbox(org.srv, 'petrov@example.org')).some((m) => m.full.includes('Subject: Relay?')));
  });
});
