// End-to-end: msmtp (a real MUA-side submission client) with AUTH over STARTTLS (587) and implicit TLS (465),
// certificate verified against the test CA; the message reaches a local and a remote recipient with Date and
// Message-ID added by the server when the client left them out.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { tempFiles } from '../protocol/smtp/clients.js';
import { eventually, inbox } from '../protocol/smtp/mailbox.js';
import { PASSWORD, startBench, type Bench } from '../protocol/submission/harness.js';

function msmtp(config: string, args: string[], input: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('msmtp', ['-C', config, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, out: String(stdout) + String(stderr) });
    });
    child.stdin?.end(input);
  });
}

describe('msmtp submitting to pochta', () => {
  let b: Bench;
  let files: Awaited<ReturnType<typeof tempFiles>>;

  before(async () => {
    b = await startBench();
    const account = (name: string, port: number, starttls: boolean, password: string): string =>
      [
        `account ${name}`,
        'host 127.0.0.1',
        `port ${port}`,
        'tls on',
        `tls_starttls ${starttls ? 'on' : 'off'}`,
        'tls_trust_file CA',
        'auth plain',
        'user ivanov@example.org',
        `password ${password}`,
        'from ivanov@example.org',
        '',
      ].join('\n');
    const rc = (ca: string): string =>
      ['defaults', 'logfile -', '# the server, not msmtp, must add them', 'set_date_header off', 'set_msgid_header off', ''].join('\n') +
      [account('starttls', b.srv.port('submission', 0), true, PASSWORD), account('implicit', b.srv.port('submission', 1), false, PASSWORD), account('wrong', b.srv.port('submission', 1), false, 'wrong password')]
        .join('\n')
        .replaceAll('tls_trust_file CA', `tls_trust_file ${ca}`);
    files = await tempFiles({ 'ca.pem': b.srv.ca });
    // msmtp refuses a configuration file with a password that others may read.
    await writeFile(files.path('msmtprc'), rc(files.path('ca.pem')), { mode: 0o600 });
  });
  after(async () => {
    await files.cleanup();
    await b.close();
  });

  const message = (subject: string): string => `From: Ivanov <ivanov@example.org>\nTo: petrov@example.org, kozlov@example.com\nSubject: ${subject}\n\nHello from msmtp\n`;

  for (const [account, subject] of [
    ['starttls', 'msmtp 587'],
    ['implicit', 'msmtp 465'],
  ] as const) {
    test(`${account}: delivers locally and remotely, with Date and Message-ID added`, async () => {
      const r = await msmtp(files.path('msmtprc'), ['-a', account, 'petrov@example.org', 'kozlov@example.com'], message(subject));
      assert.equal(r.code, 0, r.out);
      const local = (await inbox(b.srv, 'petrov@example.org')).find((m) => m.full.includes(`Subject: ${subject}`));
      assert.ok(local, 'petrov got it');
      assert.match(local.full, /^Date: /m);
      assert.match(local.full, /^Message-ID: <[^>]+@mx\.example\.org>/m);
      assert.match(local.full, /with ESMTPSA/);
      await eventually(async () => b.remote.received.some((m) => m.data.toString().includes(`Subject: ${subject}`)), 8000);
    });
  }

  test('a wrong password fails with 535', async () => {
    const r = await msmtp(files.path('msmtprc'), ['-a', 'wrong', 'petrov@example.org'], message('never'));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /535/);
  });
});
