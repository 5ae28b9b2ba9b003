// End-to-end: swaks (a real SMTP client) against the in-process server, over plain SMTP and STARTTLS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { swaks, tempFiles } from '../protocol/smtp/clients.js';
import { blobCount, inbox } from '../protocol/smtp/mailbox.js';

const MESSAGE = 'From: bob@remote.example\r\nTo: alice@example.org\r\nSubject: swaks e2e\r\nMessage-ID: <e2e-1@remote.example>\r\n\r\nHello Alice,\r\nline two with 8-bit: caf\u00e9\r\n';

describe('swaks against pochta', () => {
  let srv: TestServer;
  let files: Awaited<ReturnType<typeof tempFiles>>;
  before(async () => {
    srv = await startServer({
      listeners: ['smtp'],
      users: [
        { address: 'alice@example.org', password: 'pw-alice-1' },
        { address: 'bob@example.org', password: 'pw-bob-1' },
        { address: 'carol@example.org', password: 'pw-carol-1' },
        { address: 'dave@example.org', password: 'pw-dave-1' },
        { address: 'full@example.org', password: 'pw-full-1', quotaBytes: 10 },
      ],
      aliases: [{ address: 'team@example.org', targets: ['bob@example.org', 'carol@example.org', 'dave@example.org'] }],
    });
    files = await tempFiles({
      // swaks sends the file then CRLF.CRLF: without its last CRLF the file arrives as exactly MESSAGE.
      'msg.eml': Buffer.from(MESSAGE.slice(0, -2), 'utf8'),
      'ca.pem': srv.ca,
      'looped.eml': 'Delivered-To: alice@example.org\r\nSubject: loop\r\n\r\nagain\r\n',
      'hops.eml': 'Received: from a by b; Thu, 1 Jan 2026 00:00:00 +0000\r\n'.repeat(51) + 'Subject: hops\r\n\r\nx\r\n',
    });
  });
  after(async () => {
    await files.cleanup();
    await srv.close();
  });

  test('delivers to a user over plain SMTP, byte-exact with Return-Path, Delivered-To and Received on top', async () => {
    const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'alice@example.org', dataFile: files.path('msg.eml') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const msgs = await inbox(srv, 'alice@example.org');
    assert.equal(msgs.length, 1);
    const m = msgs[0]!;
    assert.equal(m.prefix, 'Return-Path: <bob@remote.example>\r\nDelivered-To: alice@example.org\r\n');
    assert.match(m.body.toString('latin1'), /^Received: from client\.example \(\[127\.0\.0\.1\]\)\r?\n?\s*by mx\.example\.org with ESMTP/);
    assert.match(m.body.toString('latin1'), /for <alice@example\.org>;/);
    // The message as sent follows our Received header unchanged.
    assert.ok(m.body.subarray(m.body.length - Buffer.byteLength(MESSAGE)).equals(Buffer.from(MESSAGE, 'utf8')));
  });

  test('delivers over STARTTLS and records TLS version and cipher in Received (ESMTPS)', async () => {
    const before = (await inbox(srv, 'alice@example.org')).length;
    const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'alice@example.org', dataFile: files.path('msg.eml'), tlsCaFile: files.path('ca.pem') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /TLS started/);
    const msgs = await inbox(srv, 'alice@example.org');
    assert.equal(msgs.length, before + 1);
    assert.match(msgs.at(-1)!.body.toString('latin1'), /with ESMTPS\s+\(TLSv1\.[23] cipher [A-Z0-9_-]+\)/);
  });

  test('an alias fans out to three users with one stored body', async () => {
    const blobsBefore = await blobCount(srv);
    const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'team@example.org', dataFile: files.path('msg.eml') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const got = await Promise.all(['bob', 'carol', 'dave'].map((u) => inbox(srv, `${u}@example.org`)));
    assert.deepEqual(got.map((g) => g.length), [1, 1, 1]);
    assert.equal(new Set(got.map((g) => g[0]!.blobId)).size, 1, 'one blob shared by the three copies');
    assert.equal(await blobCount(srv), blobsBefore + 1);
    assert.equal(got[1]![0]!.prefix, 'Return-Path: <bob@remote.example>\r\nDelivered-To: carol@example.org\r\n');
  });

  test('plus-addressing delivers user+tag to user, with the tag in Delivered-To', async () => {
    const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'dave+lists@example.org', dataFile: files.path('msg.eml') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const msgs = await inbox(srv, 'dave@example.org');
    assert.match(msgs.at(-1)!.prefix, /Delivered-To: dave\+lists@example\.org/);
  });

  test('catch-all off rejects unknown users with 550 5.1.1; on, they reach the catch-all mailbox', async () => {
    const off = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'nobody@example.org', dataFile: files.path('msg.eml') });
    assert.notEqual(off.code, 0);
    assert.match(off.stdout, /<\*\* 550 5\.1\.1/);
    await srv.store.updateDomain('example.org', { unknownPolicy: 'catch-all', catchAll: 'carol@example.org' });
    try {
      const n = (await inbox(srv, 'carol@example.org')).length;
      const on = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'nobody@example.org', dataFile: files.path('msg.eml') });
      assert.equal(on.code, 0, on.stdout);
      assert.equal((await inbox(srv, 'carol@example.org')).length, n + 1);
    } finally {
      await srv.store.updateDomain('example.org', { unknownPolicy: 'reject', catchAll: null });
    }
  });

  test('over quota: 452 4.2.2 by default', async () => {
    const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'full@example.org', dataFile: files.path('msg.eml') });
    assert.notEqual(r.code, 0);
    // The account is empty but 10 bytes cannot hold any message: refused at DATA, temporarily.
    assert.match(r.stdout, /<\*\* 452 4\.2\.2/);
    assert.equal((await inbox(srv, 'full@example.org')).length, 0);
  });

  test('a message already delivered to the recipient (Delivered-To) is refused with 554 5.4.6', async () => {
    const n = (await inbox(srv, 'alice@example.org')).length;
    const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'alice@example.org', dataFile: files.path('looped.eml') });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /<\*\* 554 5\.4\.6/);
    assert.equal((await inbox(srv, 'alice@example.org')).length, n);
  });

  test('a message with more than max_received_headers Received fields is refused with 554 5.4.6', async () => {
    const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'bob@example.org', dataFile: files.path('hops.eml') });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /<\*\* 554 5\.4\.6/);
  });
});

describe('swaks: permanent over-quota policy', () => {
  test('over_quota = "permanent" answers 552 5.2.2', async () => {
    const srv = await startServer({
      listeners: ['smtp'],
      users: [{ address: 'full@example.org', password: 'pw-full-1', quotaBytes: 10 }],
      toml: '[smtp]\nover_quota = "permanent"\n',
    });
    const files = await tempFiles({ 'msg.eml': MESSAGE });
    try {
      const r = await swaks({ port: srv.port('smtp'), from: 'bob@remote.example', to: 'full@example.org', dataFile: files.path('msg.eml') });
      assert.match(r.stdout, /<\*\* 552 5\.2\.2/);
    } finally {
      await files.cleanup();
      await srv.close();
    }
  });
});
