/**
 * `pochta sendmail` from a shell, as cron jobs use it: -t takes recipients from the headers and drops Bcc,
 * -f sets the envelope sender; `pochta mailq` lists the queue.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPochta } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { inbox } from '../protocol/smtp/mailbox.js';

let srv: TestServer;
let cfg: string;

before(async () => {
  srv = await startServer({
    listeners: [{ protocol: 'smtp', tls: 'none' }],
    users: [
      { address: 'ivanov@example.org', password: 'ivanov-password-1' },
      { address: 'petrov@example.org', password: 'petrov-password-1' },
    ],
  });
  cfg = join(srv.dataDir, 'cli.toml');
  await writeFile(
    cfg,
    `[server]\nhostname = "mx.example.org"\ndata_dir = "${srv.dataDir}"\n\n[[listeners]]\nprotocol = "smtp"\naddress = "127.0.0.1"\nport = ${srv.port('smtp')}\ntls = "none"\n`,
  );
});
after(async () => {
  await srv.close();
});

test('sendmail -t delivers to To and Bcc recipients and removes the Bcc header', async () => {
  const r = await runPochta(['--config', cfg, 'sendmail', '-t', '-oi', '-f', 'cron@example.org'], {
    input: 'To: ivanov@example.org\nBcc: petrov@example.org\nSubject: nightly report\n\nall good\n.\nstill the body\n',
  });
  assert.equal(r.code, 0, r.stderr);
  const [toCopy] = await inbox(srv, 'ivanov@example.org');
  const [bccCopy] = await inbox(srv, 'petrov@example.org');
  assert.ok(toCopy && bccCopy, 'both recipients got the message');
  const text = bccCopy.full;
  assert.match(text, /Subject: nightly report/);
  assert.match(text, /^Return-Path: <cron@example\.org>/m);
  assert.doesNotMatch(text, /^Bcc:/im);
  assert.match(text, /\r\nall good\r\n\.\.?\r\nstill the body\r\n/, 'a lone dot does not end the message (-oi)');
});

test('sendmail with recipients as arguments adds a From header when missing', async () => {
  const r = await runPochta(['--config', cfg, 'sendmail', '-f', 'backup@example.org', '-F', 'Backup Job', 'ivanov@example.org'], {
    input: 'Subject: backup done\n\nok\n',
  });
  assert.equal(r.code, 0, r.stderr);
  const msgs = await inbox(srv, 'ivanov@example.org');
  const last = msgs[msgs.length - 1]!.full;
  assert.match(last, /^From: "Backup Job" <backup@example\.org>/m);
});

test('sendmail without recipients fails with one clear line', async () => {
  const r = await runPochta(['--config', cfg, 'sendmail'], { input: 'Subject: x\n\nx\n' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no recipients/);
});

test('mailq lists the (empty) queue', async () => {
  const r = await runPochta(['--config', cfg, 'mailq']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\(none\)/);
});
