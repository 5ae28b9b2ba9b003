// End-to-end: swaks submitting with AUTH over STARTTLS (587) and implicit TLS (465), to a local and a remote
// recipient; wrong passwords, missing AUTH and foreign senders are refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { swaks, tempFiles } from '../protocol/smtp/clients.js';
import { eventually, inbox } from '../protocol/smtp/mailbox.js';
import { PASSWORD, startBench, type Bench } from '../protocol/submission/harness.js';

describe('swaks submitting to pochta', () => {
  let b: Bench;
  let files: Awaited<ReturnType<typeof tempFiles>>;
  const auth = (method: string, password = PASSWORD, user = 'ivanov@example.org'): string[] => ['--auth', method, '--auth-user', user, '--auth-password', password];
  const implicit = (): string[] => ['--tls-on-connect', '--tls-verify', '--tls-ca-path', files.path('ca.pem')];

  before(async () => {
    b = await startBench();
    files = await tempFiles({ 'ca.pem': b.srv.ca });
  });
  after(async () => {
    await files.cleanup();
    await b.close();
  });

  test('587 STARTTLS with AUTH PLAIN delivers to a local and a remote recipient', async () => {
    const r = await swaks({
      port: b.srv.port('submission', 0),
      from: 'ivanov@example.org',
      to: ['petrov@example.org', 'kozlov@example.com'],
      tlsCaFile: files.path('ca.pem'),
      extra: [...auth('PLAIN'), '--header', 'Subject: swaks 587'],
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /<~\s+235 2\.7\.0 /);
    const local = (await inbox(b.srv, 'petrov@example.org')).find((m) => m.full.includes('Subject: swaks 587'));
    assert.ok(local);
    assert.match(local.full, /with ESMTPSA/);
    await eventually(async () => b.remote.received.some((m) => m.data.toString().includes('Subject: swaks 587')), 8000);
  });

  test('465 implicit TLS with AUTH LOGIN delivers', async () => {
    const r = await swaks({
      port: b.srv.port('submission', 1),
      from: 'ivanov@example.org',
      to: 'petrov@example.org',
      extra: [...implicit(), ...auth('LOGIN'), '--header', 'Subject: swaks 465'],
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok((await inbox(b.srv, 'petrov@example.org')).some((m) => m.full.includes('Subject: swaks 465')));
  });

  test('a wrong password is refused with 535 5.7.8', async () => {
    const r = await swaks({ port: b.srv.port('submission', 1), from: 'ivanov@example.org', to: 'petrov@example.org', extra: [...implicit(), ...auth('PLAIN', 'nope')] });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /<~\*?\s+535 5\.7\.8 /);
  });

  test('no AUTH: MAIL is refused with 530 5.7.0', async () => {
    const r = await swaks({ port: b.srv.port('submission', 1), from: 'ivanov@example.org', to: 'petrov@example.org', extra: implicit() });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /<~\*?\s+530 5\.7\.0 /);
  });

  test('sending as someone else is refused with 553 5.7.1 (envelope and From: header)', async () => {
    const env = await swaks({ port: b.srv.port('submission', 1), from: 'petrov@example.org', to: 'kozlov@example.com', extra: [...implicit(), ...auth('PLAIN')] });
    assert.notEqual(env.code, 0);
    assert.match(env.stdout, /<~\*?\s+553 5\.7\.1 /);
    const hdr = await swaks({
      port: b.srv.port('submission', 1),
      from: 'ivanov@example.org',
      to: 'kozlov@example.com',
      extra: [...implicit(), ...auth('PLAIN'), '--header', 'From: Kozlov <kozlov@example.com>'],
    });
    assert.notEqual(hdr.code, 0);
    assert.match(hdr.stdout, /<~\*?\s+553 5\.7\.1 /);
  });
});
