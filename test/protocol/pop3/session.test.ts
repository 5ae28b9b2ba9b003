import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { Wire, seedInbox } from './pop3-wire.js';
import type { MailboxChange } from '../../../src/store/types.js';

const PW = 'correct horse battery';
const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].map((u) => ({ address: `${u}@example.org`, password: PW }));

let srv: TestServer;
/** listener 0: STLS with allow_plaintext_auth; 1: implicit TLS; 2: STLS without plaintext auth. */
let plainPort: number;
let tlsPort: number;
let strictPort: number;

before(async () => {
  srv = await startServer({
    listeners: [
      { protocol: 'pop3', tls: 'starttls', extra: 'allow_plaintext_auth = true\n' },
      { protocol: 'pop3', tls: 'implicit' },
      { protocol: 'pop3', tls: 'starttls' },
    ],
    users,
  });
  plainPort = srv.port('pop3', 0);
  tlsPort = srv.port('pop3', 1);
  strictPort = srv.port('pop3', 2);
});

after(async () => {
  await srv.close();
});

const MSG = (n: number): string => `From: alice@example.net\r\nTo: x@example.org\r\nSubject: message ${n}\r\n\r\nBody of message ${n}.\r\n`;

async function login(user: string, port = plainPort): Promise<Wire> {
  const w = await Wire.connect(port);
  assert.match(await w.line(), /^\+OK/);
  assert.match(await w.cmd(`USER ${user}@example.org`), /^\+OK/);
  assert.match(await w.cmd(`PASS ${PW}`), /^\+OK/);
  return w;
}

test('greeting has no APOP timestamp and CAPA lists the RFC 2449 capabilities', async () => {
  const w = await Wire.connect(plainPort);
  const greeting = await w.line();
  assert.match(greeting, /^\+OK /);
  assert.doesNotMatch(greeting, /<.*>/);
  const [first, caps] = await w.cmdMulti('CAPA');
  assert.match(first, /^\+OK/);
  for (const c of ['TOP', 'UIDL', 'USER', 'SASL PLAIN LOGIN', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'EXPIRE NEVER', 'IMPLEMENTATION pochta', 'STLS']) {
    assert.ok(caps.includes(c), `missing ${c} in ${caps.join('|')}`);
  }
  assert.equal(await w.cmd('APOP a@example.org 0123456789abcdef0123456789abcdef'), '-ERR APOP is not supported');
  assert.match(await w.cmd('QUIT'), /^\+OK/);
  await w.closedByServer();
});

test('without allow_plaintext_auth, passwords are refused until STLS', async () => {
  const w = await Wire.connect(strictPort);
  await w.line();
  const [, caps] = await w.cmdMulti('CAPA');
  assert.ok(!caps.includes('USER'));
  assert.ok(caps.includes('STLS'));
  assert.match(await w.cmd('USER a@example.org'), /^-ERR \[AUTH\]/);
  assert.match(await w.cmd(`AUTH PLAIN ${Buffer.from(`\0a@example.org\0${PW}`).toString('base64')}`), /^-ERR \[AUTH\]/);
  await w.startTls(srv.ca);
  const [, tlsCaps] = await w.cmdMulti('CAPA');
  assert.ok(tlsCaps.includes('USER'));
  assert.ok(!tlsCaps.includes('STLS'));
  assert.match(await w.cmd('STLS'), /^-ERR/);
  assert.match(await w.cmd('USER a@example.org'), /^\+OK/);
  assert.match(await w.cmd(`PASS ${PW}`), /^\+OK/);
  assert.match(await w.cmd('QUIT'), /^\+OK/);
});

test('commands sent after STLS in the same packet are discarded (RFC 2595 injection)', async () => {
  const w = await Wire.connect(strictPort);
  await w.line();
  w.send('STLS\r\nCAPA\r\n');
  assert.match(await w.line(), /^\+OK/);
  // Upgrade by hand: the pipelined CAPA must not be answered in plaintext or after the handshake.
  const tls = await import('node:tls');
  const plain = w.socket;
  plain.removeAllListeners('data');
  const secure = tls.connect({ socket: plain, ca: [srv.ca], servername: 'mx.test' });
  await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
  const got: Buffer[] = [];
  secure.on('data', (d: Buffer) => got.push(d));
  secure.write('NOOP\r\n');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(Buffer.concat(got).toString(), '-ERR Unknown command in AUTHORIZATION state (log in first)\r\n');
  secure.destroy();
});

test('commands before login, unknown commands and bad arguments get -ERR and the session goes on', async () => {
  const w = await Wire.connect(plainPort);
  await w.line();
  for (const c of ['STAT', 'LIST', 'RETR 1', 'DELE 1', 'UIDL', 'TOP 1 1', 'NOOP', 'RSET', 'XYZZY']) {
    assert.match(await w.cmd(c), /^-ERR/, c);
  }
  const [capa] = await w.cmdMulti('CAPA');
  assert.match(capa, /^\+OK/);
  w.close();

  const w2 = await Wire.connect(plainPort);
  await w2.line();
  for (const c of ['', 'PASS x', 'USER']) assert.match(await w2.cmd(c), /^-ERR/, c);
  w2.close();

  // An empty maildrop: every message number is out of range.
  const w3 = await login('b');
  for (const c of ['RETR 0', 'RETR abc', 'RETR 1', 'RETR -1', 'RETR 99999999999']) assert.match(await w3.cmd(c), /^-ERR/, c);
  assert.equal(await w3.cmd('STAT'), '+OK 0 0');
  w3.close();
  await new Promise((r) => setTimeout(r, 50));
  const w4 = await login('b');
  for (const c of ['LIST 1 2', 'TOP 1', 'TOP 1 x', 'DELE', 'USER x', 'STLS']) {
    assert.match(await w4.cmd(c), /^-ERR/, c);
  }
  assert.equal(await w4.cmd('STAT'), '+OK 0 0');
  assert.match(await w4.cmd('QUIT'), /^\+OK/);
});

test('an over-long line is refused and the session goes on', async () => {
  const w = await Wire.connect(plainPort);
  await w.line();
  assert.match(await w.cmd(`NOOP ${'x'.repeat(300)}`), /^-ERR Line too long/);
  w.send(`${'y'.repeat(10_000)}\r\n`);
  assert.match(await w.line(), /^-ERR Line too long/);
  const [first] = await w.cmdMulti('CAPA');
  assert.match(first, /^\+OK/);
  w.close();
});

test('too many errors close the session', async () => {
  const w = await Wire.connect(plainPort);
  await w.line();
  for (let i = 0; i < 9; i++) assert.match(await w.cmd('BOGUS'), /^-ERR Unknown/);
  assert.match(await w.cmd('BOGUS'), /^-ERR Too many errors/);
  await w.closedByServer();
});

test('STAT, LIST, UIDL and RETR: CRLF line ends, dot-stuffing, and sizes as received', async () => {
  const raw = 'Subject: dots\n\n.leading dot\nnormal\r\n..two dots\n.\nlast line without newline';
  await seedInbox(srv.store, 'c@example.org', [MSG(1), raw]);
  const w = await login('c');
  const stat = await w.cmd('STAT');
  const [, list] = await w.cmdMulti('LIST');
  assert.equal(list.length, 2);
  const sizes = list.map((l) => Number(l.split(' ')[1]));
  assert.equal(stat, `+OK 2 ${sizes[0]! + sizes[1]!}`);
  assert.equal(await w.cmd('LIST 2'), `+OK 2 ${sizes[1]}`);

  const first = await w.cmd('RETR 2');
  assert.equal(first, `+OK ${sizes[1]} octets`);
  const body = (await w.multi()).toString('latin1');
  const text = body.slice(body.indexOf('Subject:'));
  assert.equal(text, 'Subject: dots\r\n\r\n..leading dot\r\nnormal\r\n...two dots\r\n..\r\nlast line without newline\r\n');
  assert.match(body, /^Return-Path: <alice@example\.net>\r\nDelivered-To: c@example\.org\r\n/);
  // What the client keeps after un-stuffing is exactly the announced size.
  const unstuffed = body.split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n');
  assert.equal(Buffer.byteLength(unstuffed, 'latin1'), sizes[1]);

  const [, uidl] = await w.cmdMulti('UIDL');
  assert.equal(uidl.length, 2);
  assert.match(uidl[0]!, /^1 [0-9A-F]{16}$/);
  assert.equal(await w.cmd('UIDL 2'), `+OK ${uidl[1]}`);
  assert.match(await w.cmd('QUIT'), /^\+OK/);

  // UIDL is stable across sessions.
  const w2 = await login('c');
  const [, uidl2] = await w2.cmdMulti('UIDL');
  assert.deepEqual(uidl2, uidl);
  assert.match(await w2.cmd('QUIT'), /^\+OK/);
});

test('TOP sends the header, the blank line and n body lines', async () => {
  await seedInbox(srv.store, 'd@example.org', ['Subject: top\r\nX-A: 1\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n']);
  const w = await login('d');
  const [h0, top0] = await w.cmdMulti('TOP 1 0');
  assert.match(h0, /^\+OK/);
  assert.deepEqual(top0.slice(-3), ['Subject: top', 'X-A: 1', '']);
  const [, top2] = await w.cmdMulti('TOP 1 2');
  assert.deepEqual(top2.slice(-5), ['Subject: top', 'X-A: 1', '', 'line 1', '..line 2']);
  const [, top9] = await w.cmdMulti('TOP 1 9');
  assert.deepEqual(top9.slice(-3), ['line 1', '..line 2', 'line 3']);
  w.close();
});

test('DELE marks, RSET unmarks, and only QUIT removes; IMAP sessions see the expunge', async () => {
  await seedInbox(srv.store, 'e@example.org', [MSG(1), MSG(2), MSG(3)]);
  const account = (await srv.store.getAccount('e@example.org'))!;
  const inbox = (await srv.store.getMailbox(account.id, 'INBOX'))!;
  const changes: MailboxChange[] = [];
  const unsubscribe = srv.store.changes.subscribe({ mailboxId: inbox.id }, (c) => changes.push(c));

  const w = await login('e');
  const [, uidlBefore] = await w.cmdMulti('UIDL');
  assert.match(await w.cmd('DELE 1'), /^\+OK/);
  assert.match(await w.cmd('DELE 1'), /^-ERR/);
  assert.match(await w.cmd('RETR 1'), /^-ERR/);
  assert.match(await w.cmd('LIST 1'), /^-ERR/);
  assert.match(await w.cmd('TOP 1 0'), /^-ERR/);
  assert.match(await w.cmd('STAT'), /^\+OK 2 /);
  assert.match(await w.cmd('RSET'), /^\+OK/);
  assert.match(await w.cmd('STAT'), /^\+OK 3 /);
  assert.match(await w.cmd('DELE 2'), /^\+OK/);
  const [, list] = await w.cmdMulti('LIST');
  assert.deepEqual(list.map((l) => l.split(' ')[0]), ['1', '3']);
  assert.equal((await srv.store.listMessages(inbox.id)).length, 3, 'nothing removed before QUIT');
  assert.match(await w.cmd('QUIT'), /^\+OK/);
  await w.closedByServer();

  const left = await srv.store.listMessages(inbox.id);
  assert.equal(left.length, 2);
  assert.ok(changes.some((c) => c.kind === 'expunge' && c.uids.length === 1));
  unsubscribe();

  const w2 = await login('e');
  const [, uidlAfter] = await w2.cmdMulti('UIDL');
  assert.deepEqual(uidlAfter.map((l) => l.split(' ')[1]), [uidlBefore[0], uidlBefore[2]].map((l) => l!.split(' ')[1]));
  assert.match(await w2.cmd('QUIT'), /^\+OK/);
});

test('a dropped connection deletes nothing and frees the maildrop', async () => {
  await seedInbox(srv.store, 'f@example.org', [MSG(1), MSG(2)]);
  const w = await login('f');
  assert.match(await w.cmd('DELE 1'), /^\+OK/);
  assert.match(await w.cmd('DELE 2'), /^\+OK/);
  w.close();
  await new Promise((r) => setTimeout(r, 100));
  const w2 = await login('f');
  assert.match(await w2.cmd('STAT'), /^\+OK 2 /);
  w2.close();
});

test('a second session of the same maildrop gets [IN-USE]', async () => {
  const w = await login('g');
  const w2 = await Wire.connect(tlsPort, { ca: srv.ca });
  await w2.line();
  assert.match(await w2.cmd('USER g@example.org'), /^\+OK/);
  assert.match(await w2.cmd(`PASS ${PW}`), /^-ERR \[IN-USE\]/);
  assert.match(await w.cmd('QUIT'), /^\+OK/);
  await w.closedByServer();
  assert.match(await w2.cmd('USER g@example.org'), /^\+OK/);
  assert.match(await w2.cmd(`PASS ${PW}`), /^\+OK/);
  assert.match(await w2.cmd('QUIT'), /^\+OK/);
});

test('AUTH PLAIN (initial response and continuation), AUTH LOGIN, cancel, wrong password', async () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const w = await Wire.connect(tlsPort, { ca: srv.ca });
  await w.line();
  const [, mechs] = await w.cmdMulti('AUTH');
  assert.deepEqual(mechs, ['PLAIN', 'LOGIN']);
  assert.match(await w.cmd('AUTH CRAM-MD5'), /^-ERR/);
  assert.equal(await w.cmd('AUTH LOGIN'), `+ ${b64('Username:')}`);
  assert.equal(await w.cmd('*'), '-ERR Authentication cancelled');
  assert.equal(await w.cmd('AUTH PLAIN'), '+ ');
  assert.match(await w.cmd(b64('\0h@example.org\0wrong')), /^-ERR \[AUTH\]/);
  assert.equal(await w.cmd('AUTH PLAIN'), '+ ');
  assert.match(await w.cmd(b64(`\0h@example.org\0${PW}`)), /^\+OK/);
  assert.match(await w.cmd('QUIT'), /^\+OK/);

  const w2 = await Wire.connect(tlsPort, { ca: srv.ca });
  await w2.line();
  assert.match(await w2.cmd(`AUTH PLAIN ${b64(`\0h@example.org\0${PW}`)}`), /^\+OK/);
  assert.match(await w2.cmd('QUIT'), /^\+OK/);

  const w3 = await Wire.connect(tlsPort, { ca: srv.ca });
  await w3.line();
  assert.equal(await w3.cmd('AUTH LOGIN'), `+ ${b64('Username:')}`);
  assert.equal(await w3.cmd(b64('h@example.org')), `+ ${b64('Password:')}`);
  assert.match(await w3.cmd(b64(PW)), /^\+OK/);
  assert.match(await w3.cmd('QUIT'), /^\+OK/);
});

test('pipelined commands are answered in order', async () => {
  await seedInbox(srv.store, 'i@example.org', [MSG(1), MSG(2)]);
  const w = await Wire.connect(plainPort);
  await w.line();
  w.send(`USER i@example.org\r\nPASS ${PW}\r\nSTAT\r\nLIST 1\r\nRETR 1\r\nNOOP\r\nQUIT\r\n`);
  assert.match(await w.line(), /^\+OK/);
  assert.match(await w.line(), /^\+OK/);
  assert.match(await w.line(), /^\+OK 2 \d+$/);
  assert.match(await w.line(), /^\+OK 1 \d+$/);
  assert.match(await w.line(), /^\+OK \d+ octets$/);
  assert.match((await w.multi()).toString(), /Body of message 1\./);
  assert.equal(await w.line(), '+OK');
  assert.match(await w.line(), /^\+OK/);
  await w.closedByServer();
});

test('pipelined RETRs of many large messages each get their own bytes (reply memory is reused only after its write)', async () => {
  // 24 × ~200 KB (more than the kernel buffers), all requested at once while the client does not read: replies
  // queue behind the socket, so a reply buffer given back before its write is done would show another message's
  // bytes here.
  const body = (n: number): string =>
    Array.from({ length: 2600 }, (_, i) => `${i % 50 === 0 ? '.' : ''}message ${n} line ${i} ${'x'.repeat(60)}\r\n`).join('');
  const msgs = Array.from({ length: 24 }, (_, n) => `Subject: big ${n + 1}\r\n\r\n${body(n + 1)}`);
  await seedInbox(srv.store, 'l@example.org', msgs);
  const w = await login('l');
  w.socket.pause(); // the client stops reading: the server's writes stay queued
  w.send(`${msgs.map((_, i) => `RETR ${i + 1}\r\n`).join('')}QUIT\r\n`);
  await new Promise((r) => setTimeout(r, 200));
  w.socket.resume();
  for (let i = 0; i < msgs.length; i++) {
    assert.match(await w.line(), /^\+OK \d+ octets$/);
    const got = (await w.multi()).toString('latin1').replace(/^\.\./gm, '.');
    assert.ok(got.endsWith(msgs[i]!), `RETR ${i + 1} carries message ${i + 1}`);
  }
  assert.match(await w.line(), /^\+OK/);
  await w.closedByServer();
});

test('messages delivered after login are not in the session, and are kept at QUIT', async () => {
  await seedInbox(srv.store, 'j@example.org', [MSG(1)]);
  const w = await login('j');
  await seedInbox(srv.store, 'j@example.org', [MSG(2)]);
  assert.match(await w.cmd('STAT'), /^\+OK 1 /);
  assert.match(await w.cmd('DELE 1'), /^\+OK/);
  assert.match(await w.cmd('QUIT'), /^\+OK/);
  const w2 = await login('j');
  assert.match(await w2.cmd('STAT'), /^\+OK 1 /);
  assert.match(await w2.cmd('RETR 1'), /^\+OK/);
  assert.match((await w2.multi()).toString(), /message 2/);
  w2.close();
});

test('a large message with bare LFs streams with the announced size', async () => {
  const line = `${'x'.repeat(70)}\n`;
  const raw = Buffer.from(`Subject: big\n\n${line.repeat(80_000)}.dot\n`); // ~5.7 MB, bare LF
  await seedInbox(srv.store, 'k@example.org', [raw]);
  const w = await login('k');
  const first = await w.cmd('RETR 1');
  const size = Number(/^\+OK (\d+) octets$/.exec(first)?.[1]);
  const body = await w.multi();
  assert.ok(body.length > raw.length);
  assert.equal(body.length - 1, size); // one stuffed dot
  assert.equal(body.indexOf(Buffer.from('\n')), body.indexOf(Buffer.from('\r\n')) + 1);
  assert.match(await w.cmd('QUIT'), /^\+OK/);
});
