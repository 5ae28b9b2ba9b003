/**
 * End-to-end abuse control with real clients against the in-process server: a dictionary attack by smtplib bans
 * the client IP (421 4.7.0 at connect), `pochta ban list` shows the ban and `pochta ban rm` lifts it; swaks hits
 * the per-IP connection and message rates and, authenticated on submission, the per-user message and recipient
 * rates. Each case uses its own client address in 127.0.0.0/8 (127.0.0.1 stays trusted and unlimited).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runPochta } from '../helpers/cli.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { smtplib, swaks, tempFiles } from '../protocol/smtp/clients.js';
import { RawClient } from '../protocol/smtp/raw-client.js';

const PASSWORD = 'pw-limits-12345';

async function greeting(port: number, from: string): Promise<string> {
  const c = await RawClient.connect(port, { localAddress: from });
  const r = await c.reply(5000);
  c.close();
  return r.text;
}

describe('rate limits and bans', () => {
  let srv: TestServer;
  let files: Awaited<ReturnType<typeof tempFiles>>;
  before(async () => {
    srv = await startServer({
      listeners: ['smtp', 'submission'],
      users: [
        { address: 'ivanov@example.org', password: PASSWORD },
        { address: 'petrov@example.org', password: PASSWORD },
        { address: 'sidorov@example.org', password: PASSWORD },
      ],
      toml: [
        '[relay]',
        'trusted_networks = ["127.0.0.1/32"]',
        '[antispam]',
        'authentication = false',
        'max_unknown_recipients = 3',
        'max_connections_per_minute = 4',
        'max_messages_per_minute = 3',
        'max_user_messages_per_hour = 2',
        'max_user_recipients_per_hour = 3',
        '',
      ].join('\n'),
    });
    files = await tempFiles({ 'ca.pem': srv.ca });
  });
  after(async () => {
    await files.cleanup();
    await srv.close();
  });

  test('a dictionary attack bans the IP; pochta ban list shows it and ban rm lifts it', async () => {
    const port = srv.port('smtp');
    const { result } = await smtplib({
      port,
      local_address: '127.0.0.2',
      sender: 'spammer@remote.test',
      recipients: ['a1@example.org', 'a2@example.org', 'a3@example.org'],
      data: 'Subject: x\r\n\r\nx\r\n',
    });
    assert.deepEqual((result['rcpt'] as Array<[number, string]>).map((r) => r[0]), [550, 550, 550]);
    assert.match(await greeting(port, '127.0.0.2'), /^421 4\.7\.0 /);
    assert.match(await greeting(port, '127.0.0.9'), /^220 /);

    const cfg = `${srv.dataDir}/pochta.toml`;
    const list = await runPochta(['--config', cfg, '--json', 'ban', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const bans = JSON.parse(list.stdout) as Array<{ ip: string; reason: string; seconds_left: number }>;
    assert.deepEqual(bans.map((b) => b.ip), ['127.0.0.2']);
    assert.match(bans[0]!.reason, /3 unknown recipients/);
    assert.ok(bans[0]!.seconds_left > 3500);

    const rm = await runPochta(['--config', cfg, 'ban', 'rm', '127.0.0.2']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(await greeting(port, '127.0.0.2'), /^220 /);
    const again = await runPochta(['--config', cfg, 'ban', 'rm', '127.0.0.2']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not banned/);
  });

  test('too many connections per minute from one IP get 421 4.7.0', async () => {
    // Sessions that end after EHLO: only connections count here (no message reaches the message limit).
    const send = () => swaks({ port: srv.port('smtp'), from: 'a@remote.test', to: 'ivanov@example.org', localInterface: '127.0.0.3', extra: ['--quit-after', 'EHLO'] });
    for (let i = 0; i < 4; i++) assert.equal((await send()).code, 0);
    const fifth = await send();
    assert.notEqual(fifth.code, 0);
    assert.match(fifth.stdout, /421 4\.7\.0/);
  });

  test('too many messages per minute from one IP get 451 4.7.1 at MAIL FROM', async () => {
    const { result } = await smtplib({ port: srv.port('smtp'), local_address: '127.0.0.4', sender: 'a@remote.test', recipients: ['ivanov@example.org'], data: 'Subject: 1\r\n\r\n1\r\n' });
    assert.deepEqual(result['data']?.toString().slice(0, 3), '250');
    for (let i = 0; i < 2; i++) {
      const r = await smtplib({ port: srv.port('smtp'), local_address: '127.0.0.4', sender: 'a@remote.test', recipients: ['ivanov@example.org'], data: 'Subject: n\r\n\r\nn\r\n' });
      assert.equal((r.result['mail'] as [number, string])[0], 250);
    }
    const over = await smtplib({ port: srv.port('smtp'), local_address: '127.0.0.4', sender: 'a@remote.test', recipients: ['ivanov@example.org'], data: 'Subject: 4\r\n\r\n4\r\n' });
    assert.deepEqual(over.result['mail'], [451, '4.7.1 Message rate limit exceeded, try again later']);
  });

  const submit = (user: string, to: string[]) =>
    swaks({
      port: srv.port('submission'),
      from: user,
      to,
      tlsCaFile: files.path('ca.pem'),
      localInterface: '127.0.0.5',
      extra: ['--auth', 'PLAIN', '--auth-user', user, '--auth-password', PASSWORD],
    });

  test('an authenticated user over the hourly message limit gets 451 4.7.1', async () => {
    assert.equal((await submit('petrov@example.org', ['ivanov@example.org'])).code, 0);
    assert.equal((await submit('petrov@example.org', ['ivanov@example.org'])).code, 0);
    const third = await submit('petrov@example.org', ['ivanov@example.org']);
    assert.notEqual(third.code, 0);
    assert.match(third.stdout, /451 4\.7\.1 /);
  });

  test('an authenticated user over the hourly recipient limit gets 452 4.5.3', async () => {
    const r = await submit('sidorov@example.org', ['ivanov@example.org', 'petrov@example.org', 'sidorov@example.org', 'kozlov@remote.test']);
    assert.match(r.stdout, /452 4\.5\.3 /);
  });
});
