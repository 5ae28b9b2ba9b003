/**
 * An LDAP server that accepts connections and never answers (a hung slapd, a black-holing firewall): the
 * server answers within ldap_timeout with temporary failures on every protocol (IMAP NO [UNAVAILABLE], SMTP
 * AUTH 454, RCPT 451, POP3 -ERR [SYS/TEMP]) and keeps serving internal users meanwhile.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { ldapDirectoryToml } from '../../helpers/slapd.js';
import { LineClient, plain } from './line-client.js';

const held: Socket[] = [];
let stall: Server;
let srv: TestServer;

before(async () => {
  stall = createServer((sock) => held.push(sock));
  await new Promise<void>((r) => stall.listen(0, '127.0.0.1', () => r()));
  const port = (stall.address() as { port: number }).port;
  srv = await startServer({
    listeners: [
      { protocol: 'smtp', tls: 'none' },
      { protocol: 'submission', tls: 'none', extra: 'allow_plaintext_auth = true' },
      { protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' },
      { protocol: 'pop3', tls: 'none', extra: 'allow_plaintext_auth = true' },
    ],
    domains: ['internal.test'],
    users: [{ address: 'ivan@internal.test', password: 'internal-pw-123' }],
    toml: ldapDirectoryToml(`ldap://127.0.0.1:${port}`, [], 1),
  });
});

after(async () => {
  await srv?.close();
  for (const h of held) h.destroy();
  await new Promise<void>((r) => stall.close(() => r()));
});

/** Runs fn and checks it finished in time: the timeout (1 s) plus slack, not a hang. */
async function timed<T>(fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const out = await fn();
  assert.ok(Date.now() - t0 < 4000, `answered after ${Date.now() - t0} ms`);
  return out;
}

test('a stalled LDAP server gives temporary failures within the timeout on IMAP, SMTP and POP3', async () => {
  const i = await LineClient.connect(srv.port('imap'));
  await i.until(/^\* OK/);
  assert.match(await timed(() => i.cmd('a1 LOGIN alice@example.org alice-ldap-pw', /^a1 /)), /^a1 NO \[UNAVAILABLE\]/m);
  assert.match(await i.cmd('a2 LOGIN ivan@internal.test internal-pw-123', /^a2 /), /^a2 OK/m, 'internal users unaffected');
  i.close();

  const s = await LineClient.connect(srv.port('submission'));
  await s.until(/^220 /);
  await s.cmd('EHLO client.example.net', /^250 /);
  assert.match(await timed(() => s.cmd(`AUTH PLAIN ${plain('alice@example.org', 'alice-ldap-pw')}`, /^\d{3} /)), /^454 4\.7\.0/m);
  s.close();

  const m = await LineClient.connect(srv.port('smtp'));
  await m.until(/^220 /);
  await m.cmd('EHLO client.example.net', /^250 /);
  await m.cmd('MAIL FROM:<sender@example.net>', /^250 /);
  assert.match(await timed(() => m.cmd('RCPT TO:<alice@example.org>', /^\d{3} /)), /^451 4\.4\.3/);
  m.close();

  const p = await LineClient.connect(srv.port('pop3'));
  await p.until(/^\+OK/);
  await p.cmd('USER alice@example.org', /^[+-]/);
  assert.match(await timed(() => p.cmd('PASS alice-ldap-pw', /^[+-]/)), /^-ERR \[SYS\/TEMP\]/);
  p.close();
});
