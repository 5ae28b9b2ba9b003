import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../helpers/start-server.js';
import { Wire, seedInbox } from './pop3-wire.js';

const PW = 'correct horse battery';
const MSG = 'Subject: keep me\r\n\r\nbody\r\n';

test('autologout after pop3.idle_timeout closes the session and deletes nothing', async () => {
  const srv = await startServer({
    listeners: [{ protocol: 'pop3', tls: 'starttls', extra: 'allow_plaintext_auth = true\n' }],
    users: [{ address: 'a@example.org', password: PW }],
    toml: '[pop3]\nidle_timeout = 1\n',
  });
  try {
    await seedInbox(srv.store, 'a@example.org', [MSG]);
    const w = await Wire.connect(srv.port('pop3'));
    await w.line();
    await w.cmd('USER a@example.org');
    assert.match(await w.cmd(`PASS ${PW}`), /^\+OK/);
    assert.match(await w.cmd('DELE 1'), /^\+OK/);
    assert.match(await w.line(3000), /^-ERR .*Autologout/);
    await w.closedByServer();
    const account = (await srv.store.getAccount('a@example.org'))!;
    const inbox = (await srv.store.getMailbox(account.id, 'INBOX'))!;
    assert.equal((await srv.store.listMessages(inbox.id)).length, 1);
  } finally {
    await srv.close();
  }
});

test('a client that stops reading in the middle of a RETR is logged out too (the maildrop is freed)', async () => {
  const srv = await startServer({
    listeners: [{ protocol: 'pop3', tls: 'starttls', extra: 'allow_plaintext_auth = true\n' }],
    users: [{ address: 'a@example.org', password: PW }],
    toml: '[pop3]\nidle_timeout = 1\n',
  });
  const big = `Subject: big\r\n\r\n${`${'y'.repeat(98)}\r\n`.repeat(80_000)}`; // 8 MB: more than the socket buffers hold
  const login = async (): Promise<[Wire, string]> => {
    const w = await Wire.connect(srv.port('pop3'));
    await w.line();
    await w.cmd('USER a@example.org');
    return [w, await w.cmd(`PASS ${PW}`)];
  };
  try {
    await seedInbox(srv.store, 'a@example.org', [big]);
    const [w, ok] = await login();
    assert.match(ok, /^\+OK/);
    w.socket.pause();
    w.send('RETR 1\r\n');
    await new Promise((r) => setTimeout(r, 2500));
    const [other, reply] = await login();
    assert.match(reply, /^\+OK/, 'the stalled session was logged out and released the maildrop');
    other.socket.destroy();
    w.socket.destroy();
  } finally {
    await srv.close();
  }
});

test('failed logins are answered with [AUTH], slowed down after two, and the session closed after three', async () => {
  const srv = await startServer({
    listeners: [{ protocol: 'pop3', tls: 'starttls', extra: 'allow_plaintext_auth = true\n' }],
    users: [{ address: 'a@example.org', password: PW }],
  });
  try {
    const w = await Wire.connect(srv.port('pop3'));
    await w.line();
    for (let i = 0; i < 2; i++) {
      await w.cmd('USER a@example.org');
      assert.match(await w.cmd('PASS wrong'), /^-ERR \[AUTH\]/);
    }
    await w.cmd('USER a@example.org');
    const t0 = Date.now();
    assert.match(await w.cmd('PASS wrong'), /^-ERR \[AUTH\].*too many/);
    assert.ok(Date.now() - t0 >= 900, 'third attempt was delayed');
    await w.closedByServer();

    // The right password still works (after the delay), and resets the delay.
    const w2 = await Wire.connect(srv.port('pop3'));
    await w2.line();
    await w2.cmd('USER a@example.org');
    assert.match(await w2.cmd(`PASS ${PW}`), /^\+OK/);
    assert.match(await w2.cmd('QUIT'), /^\+OK/);
  } finally {
    await srv.close();
  }
});

test('server shutdown ends sessions without deleting', async () => {
  const srv = await startServer({
    listeners: [{ protocol: 'pop3', tls: 'starttls', extra: 'allow_plaintext_auth = true\n' }],
    users: [{ address: 'a@example.org', password: PW }],
  });
  await seedInbox(srv.store, 'a@example.org', [MSG]);
  const account = (await srv.store.getAccount('a@example.org'))!;
  const w = await Wire.connect(srv.port('pop3'));
  await w.line();
  await w.cmd('USER a@example.org');
  assert.match(await w.cmd(`PASS ${PW}`), /^\+OK/);
  assert.match(await w.cmd('DELE 1'), /^\+OK/);
  await srv.services.close(new Date(Date.now() + 2000));
  assert.match(await w.line(), /^-ERR \[SYS\/TEMP\]/);
  await w.closedByServer();
  const inbox = (await srv.store.getMailbox(account.id, 'INBOX'))!;
  assert.equal((await srv.store.listMessages(inbox.id)).length, 1);
  await srv.close();
});
