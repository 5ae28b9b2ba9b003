import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCertificate } from '../../helpers/certs.js';
import { freePort, MESSAGE, scripted, startBench, startRawServer, startReceiver, type Bench, type Receiver } from './harness.js';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function bench(queue: Record<string, unknown> = {}, extra: { start?: boolean } = {}): Promise<Bench> {
  const port = await freePort();
  const b = await startBench({ port, queue, ...extra });
  cleanups.push(() => b.close());
  b.dns.add('example.com', 'MX', '10 mx1.example.com');
  b.dns.add('example.com', 'MX', '20 mx2.example.com');
  b.dns.add('mx1.example.com', 'A', '127.0.0.2');
  b.dns.add('mx2.example.com', 'A', '127.0.0.3');
  return b;
}

async function receiver(address: string, b: Bench, opts: Parameters<typeof startReceiver>[2] = {}): Promise<Receiver> {
  const r = await startReceiver(address, b.port, opts);
  cleanups.push(() => r.close());
  return r;
}

async function caFile(pem: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-ca-'));
  const path = join(dir, 'ca.pem');
  await writeFile(path, pem);
  return path;
}

async function gone(b: Bench, id: string): Promise<boolean> {
  return (await b.temp.store.getQueueEntry(id)) === null;
}

function dsnStatus(raw: Buffer): string {
  const s = parseMessage(raw);
  const part = s.root.parts?.find((p) => p.subtype === 'delivery-status');
  assert.ok(part, 'no message/delivery-status part');
  return raw.subarray(part.bodyStart, part.bodyEnd).toString();
}

test('delivers through the primary MX with STARTTLS and removes the entry', async () => {
  const b = await bench();
  const mx1 = await receiver('127.0.0.2', b);
  const mx2 = await receiver('127.0.0.3', b);
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  await b.until(() => gone(b, e.id));
  assert.equal(mx1.received.length, 1);
  assert.equal(mx2.received.length, 0);
  assert.deepEqual(mx1.received[0]!.to, ['kozlov@example.com']);
  assert.equal(mx1.received[0]!.from, 'ivanov@example.org');
  assert.equal(mx1.received[0]!.secure, true);
  assert.match(mx1.received[0]!.data.toString(), /Hello\./);
  assert.equal((await b.inbox()).length, 0, 'no DSN for a delivered message');
});

test('uses the secondary MX when the primary refuses connections', async () => {
  const b = await bench();
  const mx2 = await receiver('127.0.0.3', b);
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  await b.until(() => gone(b, e.id));
  assert.equal(mx2.received.length, 1);
});

test('reaches a domain with only an A record through the implicit MX', async () => {
  const b = await bench();
  b.dns.add('aonly.example', 'A', '127.0.0.2');
  const r = await receiver('127.0.0.2', b);
  const e = await b.enqueue({ recipients: [{ address: 'user@aonly.example' }] });
  await b.until(() => gone(b, e.id));
  assert.deepEqual(r.received[0]?.to, ['user@aonly.example']);
});

test('a null MX domain bounces at once with 5.1.10 into the local sender INBOX', async () => {
  const b = await bench();
  b.dns.add('nullmx.example', 'MX', { exchange: '.', priority: 0 });
  const e = await b.enqueue({ recipients: [{ address: 'x@nullmx.example' }] });
  await b.until(() => gone(b, e.id));
  const inbox = await b.inbox();
  assert.equal(inbox.length, 1);
  const status = dsnStatus(inbox[0]!);
  assert.match(status, /^Action: failed$/m);
  assert.match(status, /^Status: 5\.1\.10$/m);
  assert.match(inbox[0]!.toString(), /^Return-Path: <>\r$/m);
});

test('an NXDOMAIN domain bounces', async () => {
  const b = await bench();
  b.dns.setNxdomain('nowhere.example');
  const e = await b.enqueue({ recipients: [{ address: 'x@nowhere.example' }] });
  await b.until(() => gone(b, e.id));
  assert.match(dsnStatus((await b.inbox())[0]!), /^Status: 5\.1\.2$/m);
});

test('a DNS timeout defers the message without a bounce', async () => {
  const b = await bench({ retry_initial: 60, retry_max: 120 });
  b.dns.setTimeout('slowdns.example');
  const e = await b.enqueue({ recipients: [{ address: 'x@slowdns.example' }] });
  await b.until(async () => (await b.temp.store.getQueueEntry(e.id))?.state === 'deferred');
  const after = (await b.temp.store.getQueueEntry(e.id))!;
  assert.equal(after.recipients[0]!.state, 'deferred');
  assert.ok(after.nextAttemptAt.getTime() > Date.now() + 30_000);
  assert.equal((await b.inbox()).length, 0);
});

test('one recipient refused with 550 and one accepted: DSN for the refused one only', async () => {
  const b = await bench();
  const r = await receiver('127.0.0.2', b, { rcptCodes: { 'nobody@example.com': 550 } });
  const e = await b.enqueue({
    recipients: [{ address: 'kozlov@example.com' }, { address: 'nobody@example.com', orcpt: 'rfc822;Nobody@example.com' }],
    envid: 'ENV-1',
  });
  await b.until(() => gone(b, e.id));
  assert.deepEqual(r.received.map((m) => m.to), [['kozlov@example.com']]);
  const inbox = await b.inbox();
  assert.equal(inbox.length, 1);
  const status = dsnStatus(inbox[0]!);
  assert.match(status, /^Final-Recipient: rfc822; nobody@example\.com$/m);
  assert.match(status, /^Original-Recipient: rfc822; Nobody@example\.com$/m);
  assert.match(status, /^Original-Envelope-Id: ENV-1$/m);
  assert.match(status, /^Status: 5\.1\.1$/m);
  assert.match(status, /^Remote-MTA: dns; mx1\.example\.com$/m);
  assert.match(status, /^Diagnostic-Code: smtp; 550 5\.1\.1 no such user here$/m);
  assert.doesNotMatch(status, /kozlov/);
});

test('NOTIFY=NEVER and the null sender get no DSN', async () => {
  const b = await bench();
  await receiver('127.0.0.2', b, { rcptCodes: { 'nobody@example.com': 550 } });
  const e1 = await b.enqueue({ recipients: [{ address: 'nobody@example.com', notify: ['NEVER'] }] });
  const e2 = await b.enqueue({ sender: '', recipients: [{ address: 'nobody@example.com' }] });
  await b.until(async () => (await gone(b, e1.id)) && (await gone(b, e2.id)));
  assert.equal((await b.inbox()).length, 0);
  assert.equal((await b.temp.store.listQueue()).length, 0, 'no bounce of a bounce was queued');
});

test('a 4xx reply defers, and the retry delivers', async () => {
  const b = await bench();
  const r = await receiver('127.0.0.2', b, { dataCode: 451, dataFailures: 1 });
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  await b.until(async () => (await b.temp.store.getQueueEntry(e.id))?.state === 'deferred');
  assert.equal(r.received.length, 0);
  await b.until(() => gone(b, e.id));
  assert.equal(r.received.length, 1);
  assert.equal((await b.inbox()).length, 0);
});

test('a server that drops the connection mid-DATA leaves the message deferred, not lost', async () => {
  const b = await bench({ retry_initial: 60, retry_max: 120 });
  const raw = await startRawServer('127.0.0.2', b.port, (socket) =>
    scripted(socket, '220 drop.example ESMTP', (line, inData) => {
      if (inData) {
        socket.destroy();
        return null;
      }
      if (/^EHLO/i.test(line)) return '250 drop.example';
      if (/^DATA/i.test(line)) return '354 go ahead';
      return '250 ok';
    }),
  );
  cleanups.push(() => raw.close());
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  await b.until(async () => (await b.temp.store.getQueueEntry(e.id))?.state === 'deferred');
  assert.equal((await b.inbox()).length, 0);
});

test('a 554 greeting on the primary moves on to the secondary', async () => {
  const b = await bench();
  const raw = await startRawServer('127.0.0.2', b.port, (socket) => scripted(socket, '554 go away', () => null));
  cleanups.push(() => raw.close());
  const mx2 = await receiver('127.0.0.3', b);
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  await b.until(() => gone(b, e.id));
  assert.equal(raw.connections, 1);
  assert.equal(mx2.received.length, 1);
});

test('a server that stalls after connecting times out and the message is deferred', async () => {
  const b = await bench({ retry_initial: 60, retry_max: 120 });
  const raw = await startRawServer('127.0.0.2', b.port, () => {});
  cleanups.push(() => raw.close());
  b.dns.remove('mx2.example.com');
  b.dns.add('mx2.example.com', 'A', '127.0.0.2');
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  await b.until(async () => (await b.temp.store.getQueueEntry(e.id))?.state === 'deferred');
  assert.ok(raw.connections >= 1);
  assert.match((await b.temp.store.getQueueEntry(e.id))!.lastError ?? '', /reeting|imeout/);
});

test('after the lifetime an unreachable destination is bounced', async () => {
  const b = await bench({ retry_initial: 1, retry_max: 1, max_lifetime: 2 });
  b.dns.add('dead.example', 'A', '127.0.0.4');
  const e = await b.enqueue({ recipients: [{ address: 'x@dead.example' }] });
  await b.until(() => gone(b, e.id), 10_000);
  const inbox = await b.inbox();
  assert.equal(inbox.length, 1);
  const status = dsnStatus(inbox[0]!);
  assert.match(status, /^Action: failed$/m);
  assert.match(status, /^Status: 5\.4\.7$/m);
});

test('an entry left active by a crash is requeued at start and delivered once', async () => {
  const b = await bench({}, { start: false });
  const r = await receiver('127.0.0.2', b);
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  const claimed = await b.temp.store.claimDue(new Date(), 10);
  assert.equal(claimed[0]?.id, e.id);
  assert.equal((await b.temp.store.getQueueEntry(e.id))?.state, 'active');
  await b.service.start();
  await b.until(() => gone(b, e.id));
  await b.service.manager.drain();
  assert.equal(r.received.length, 1);
});

test('a message over the remote SIZE is bounced without being sent', async () => {
  const b = await bench();
  const r = await receiver('127.0.0.2', b, { size: 100 });
  const big = MESSAGE + 'x'.repeat(500) + '\r\n';
  const e = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] }, big);
  await b.until(() => gone(b, e.id));
  assert.equal(r.received.length, 0);
  assert.match(dsnStatus((await b.inbox())[0]!), /^Status: 5\.3\.4$/m);
});

test('two messages to one destination share a connection', async () => {
  const b = await bench();
  let connections = 0;
  const r = await receiver('127.0.0.2', b, {
    extra: {
      onConnect(_s, cb) {
        connections++;
        cb();
      },
    },
  });
  const e1 = await b.enqueue({ recipients: [{ address: 'kozlov@example.com' }] });
  await b.until(() => gone(b, e1.id));
  const e2 = await b.enqueue({ recipients: [{ address: 'petrov@example.com' }] });
  await b.until(() => gone(b, e2.id));
  assert.equal(r.received.length, 2);
  assert.equal(connections, 1);
});

test('relay_host sends everything through the smarthost with AUTH over verified TLS', async () => {
  const port = await freePort();
  const cert = await testCertificate();
  const smarthost = await startReceiver('127.0.0.3', port, { auth: { user: 'relayuser', pass: 'relaypass' }, extra: { key: cert.key, cert: cert.cert } });
  cleanups.push(() => smarthost.close());
  const b = await startBench({
    port,
    queue: { relay_host: `mx.test:${port}`, relay_user: 'relayuser', relay_password: 'relaypass', relay_tls_ca: await caFile(cert.cert) },
  });
  cleanups.push(() => b.close());
  b.dns.add('mx.test', 'A', '127.0.0.3');
  const e = await b.enqueue({ recipients: [{ address: 'someone@no-dns-at-all.example' }] });
  await b.until(() => gone(b, e.id));
  assert.equal(smarthost.received.length, 1);
  assert.equal(smarthost.received[0]!.user, 'relayuser');
  assert.equal(smarthost.received[0]!.secure, true);
  assert.deepEqual(b.dns.queries.filter((q) => q.type === 'MX'), [], 'no MX lookup with a relay host');
});

test('relay_host whose certificate does not verify gets neither the password nor the message', async () => {
  const port = await freePort();
  // smtp-server's built-in self-signed certificate: not signed by the configured CA.
  const smarthost = await startReceiver('127.0.0.3', port, { auth: { user: 'relayuser', pass: 'relaypass' } });
  cleanups.push(() => smarthost.close());
  const b = await startBench({
    port,
    queue: { relay_host: `mx.test:${port}`, relay_user: 'relayuser', relay_password: 'relaypass', relay_tls_ca: await caFile((await testCertificate()).cert) },
  });
  cleanups.push(() => b.close());
  b.dns.add('mx.test', 'A', '127.0.0.3');
  const e = await b.enqueue({ recipients: [{ address: 'someone@no-dns-at-all.example' }] });
  await b.until(async () => ((await b.temp.store.getQueueEntry(e.id))?.attempts ?? 0) >= 1);
  const entry = await b.temp.store.getQueueEntry(e.id);
  assert.equal(entry?.state, 'deferred');
  assert.equal(smarthost.received.length, 0);
  assert.equal(smarthost.authAttempts(), 0, 'no AUTH was tried');
});

test('relay_tls = "may": a smarthost without STARTTLS never sees the password', async () => {
  const port = await freePort();
  const smarthost = await startReceiver('127.0.0.3', port, { auth: { user: 'relayuser', pass: 'relaypass' }, extra: { hideSTARTTLS: true, allowInsecureAuth: true } });
  cleanups.push(() => smarthost.close());
  const b = await startBench({ port, queue: { relay_host: `127.0.0.3:${port}`, relay_user: 'relayuser', relay_password: 'relaypass', relay_tls: 'may' } });
  cleanups.push(() => b.close());
  const e = await b.enqueue({ recipients: [{ address: 'someone@no-dns-at-all.example' }] });
  await b.until(async () => ((await b.temp.store.getQueueEntry(e.id))?.attempts ?? 0) >= 1);
  assert.equal((await b.temp.store.getQueueEntry(e.id))?.state, 'deferred');
  assert.equal(smarthost.authAttempts(), 0, 'no AUTH without TLS');
});

test('a bounce to a remote sender is queued with the null sender and delivered by SMTP', async () => {
  const b = await bench();
  const r = await receiver('127.0.0.2', b, { rcptCodes: { 'nobody@example.com': 550 } });
  const e = await b.enqueue({ sender: 'alice@example.com', recipients: [{ address: 'nobody@example.com' }] });
  await b.until(async () => (await gone(b, e.id)) && r.received.length === 1 && (await b.temp.store.listQueue()).length === 0);
  assert.equal(r.received[0]!.from, '');
  assert.deepEqual(r.received[0]!.to, ['alice@example.com']);
  assert.match(dsnStatus(r.received[0]!.data), /^Action: failed$/m);
});

test('one delay warning is sent after delay_warning while retries go on', async () => {
  const b = await bench({ retry_initial: 1, retry_max: 1, delay_warning: 1 });
  b.dns.add('dead.example', 'A', '127.0.0.4');
  const e = await b.enqueue({ recipients: [{ address: 'x@dead.example' }] });
  await b.until(async () => (await b.temp.store.getQueueEntry(e.id))?.delayWarned === true);
  await b.until(async () => ((await b.temp.store.getQueueEntry(e.id))?.attempts ?? 0) >= 3);
  const inbox = await b.inbox();
  assert.equal(inbox.length, 1);
  const status = dsnStatus(inbox[0]!);
  assert.match(status, /^Action: delayed$/m);
  assert.match(status, /^Will-Retry-Until: /m);
  assert.equal((await b.temp.store.getQueueEntry(e.id))?.state, 'deferred');
});
