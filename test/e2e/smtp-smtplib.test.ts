// End-to-end: Python's smtplib against the in-process server: STARTTLS with the CA pinned, the no-open-relay
// battery from an untrusted client, relaying from a trusted one (DSN parameters kept for the queue), and
// LMTP per-recipient replies over TCP and a unix socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { smtplib } from '../protocol/smtp/clients.js';
import { inbox } from '../protocol/smtp/mailbox.js';

const DATA = 'From: bob@remote.example\r\nSubject: smtplib\r\n\r\nhi there\r\n';
const USERS = [
  { address: 'alice@example.org', password: 'pw-alice-1' },
  { address: 'bob@example.org', password: 'pw-bob-1' },
];

describe('smtplib, untrusted client (no open relay)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ listeners: ['smtp'], users: USERS, toml: '[relay]\ntrusted_networks = ["10.99.0.0/16"]\n' });
  });
  after(() => srv.close());

  test('delivers over STARTTLS with the certificate pinned', async () => {
    const { result } = await smtplib({ port: srv.port('smtp'), starttls: true, ca: srv.ca, sender: 'bob@remote.example', recipients: ['alice@example.org'], data: DATA });
    assert.equal(result['error'], null);
    assert.match(String(result['tls']), /^TLSv1\.[23]$/);
    assert.equal((result['data'] as [number, string])[0], 250);
    const m = (await inbox(srv, 'alice@example.org')).at(-1)!;
    assert.match(m.body.toString(), /with ESMTPS/);
    assert.ok(m.body.toString().endsWith(DATA));
  });

  test('refuses every relay trick and accepts RCPT TO:<postmaster>', async () => {
    const tricks = [
      'u%other.test@example.org', // percent hack
      '@example.org:u@other.test', // source route
      'other.test!u@example.org', // bang path
      '"u@other.test"@example.org', // quoted local part
      'u@[1.2.3.4]', // IP literal
      'u@other.test.', // trailing dot
      'u@OTHER.Test', // mixed case
      'u@other.test',
    ];
    const { result } = await smtplib({ port: srv.port('smtp'), sender: 'spammer@other.test', recipients: [...tricks, 'postmaster', 'Alice@EXAMPLE.org'], data: DATA });
    assert.equal(result['error'], null);
    const rcpt = result['rcpt'] as Array<[number, string]>;
    tricks.forEach((t, i) => {
      const [code, text] = rcpt[i]!;
      assert.ok(code >= 500 && code < 600, `${t} must be refused, got ${code} ${text}`);
      if (![3, 5].includes(i)) assert.match(text, /^5\.7\.1 /, `${t}: ${text}`); // syntax errors are 501 5.1.3
    });
    assert.equal(rcpt[tricks.length]![0], 250, 'postmaster is accepted (RFC 5321 §4.5.1)');
    assert.equal(rcpt[tricks.length + 1]![0], 250, 'our own domain in mixed case is local');
    assert.equal((result['data'] as [number, string])[0], 250);
    assert.deepEqual(await srv.store.listQueue(), [], 'nothing was queued for a remote domain');
  });
});

describe('smtplib, trusted client (relay allowed)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ listeners: ['smtp'], users: USERS });
  });
  after(() => srv.close());

  test('queues remote recipients with the DSN parameters and delivers the local one from the same body', async () => {
    // The running queue would deliver or bounce the entry at once; a DNS that never answers keeps it queued.
    srv.dns.setTimeout('other.test');
    const { result } = await smtplib({
      port: srv.port('smtp'),
      sender: 'bob@example.org',
      recipients: ['friend@other.test', 'alice@example.org'],
      mail_options: ['RET=HDRS', 'ENVID=env+2B42'],
      rcpt_options: ['NOTIFY=FAILURE,DELAY', 'ORCPT=rfc822;friend@other.test'],
      data: DATA,
    });
    assert.equal(result['error'], null);
    assert.deepEqual((result['rcpt'] as Array<[number, string]>).map((r) => r[0]), [250, 250]);
    assert.equal((result['data'] as [number, string])[0], 250);
    const queue = await srv.store.listQueue();
    assert.equal(queue.length, 1);
    const q = queue[0]!;
    assert.equal(q.sender, 'bob@example.org');
    assert.equal(q.ret, 'HDRS');
    assert.equal(q.envid, 'env+42');
    assert.deepEqual(q.recipients.map((r) => [r.address, r.notify, r.orcpt]), [['friend@other.test', ['FAILURE', 'DELAY'], 'rfc822;friend@other.test']]);
    const local = (await inbox(srv, 'alice@example.org'))[0]!;
    assert.equal(local.blobId, q.blobId, 'one body for the queue and the mailbox');
  });
});

describe('smtplib LMTP', () => {
  let srv: TestServer;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pochta-lmtp-'));
    srv = await startServer({ listeners: ['lmtp'], users: USERS });
  });
  after(async () => {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('answers DATA once per recipient: good ones 250, an unknown one refused at RCPT', async () => {
    const { result } = await smtplib({ lmtp: true, port: srv.port('lmtp'), sender: 'bob@remote.example', recipients: ['alice@example.org', 'ghost@example.org', 'bob@example.org'], data: DATA });
    assert.equal(result['error'], null);
    assert.deepEqual((result['rcpt'] as Array<[number, string]>).map((r) => r[0]), [250, 550, 250]);
    const per = result['data'] as Record<string, [number, string]>;
    assert.equal(per['alice@example.org']![0], 250);
    assert.equal(per['bob@example.org']![0], 250);
    const m = (await inbox(srv, 'bob@example.org')).at(-1)!;
    assert.match(m.body.toString(), /with LMTP/);
  });
});
