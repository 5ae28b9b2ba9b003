/**
 * The failed-login throttle is one per server (issue 6 item 4): failures over POP3 slow down, and then ban, an
 * IMAP login from the same IP, even with the right password.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceDeps } from '../../../src/protocols/service.js';
import { InternalDirectory } from '../../../src/directory/directory.js';
import { LoginThrottle } from '../../../src/directory/login-throttle.js';
import { PopBeforeSmtp } from '../../../src/directory/pop-before-smtp.js';
import { grantsFilePath, loadGrants } from '../../../src/directory/pop-before-smtp-file.js';
import { createLogger } from '../../../src/lib/logger.js';
import { createImapService } from '../../../src/protocols/imap/server/imap-service.js';
import { pop3Factory } from '../../../src/protocols/pop3/pop3-service.js';
import { serveService as serve } from '../../helpers/serve-service.js';
import { startServer, type TestServer } from '../../helpers/start-server.js';
import { ImapTestClient } from '../imap/client.js';
import { Wire } from './pop3-wire.js';

const PW = 'pw-shared-throttle-1';
const USER = 'thr@example.org';

async function failPop3(port: number, times: number): Promise<void> {
  const w = await Wire.connect(port);
  await w.line();
  for (let i = 0; i < times; i++) {
    await w.cmd(`USER ${USER}`);
    assert.match(await w.cmd('PASS wrong'), /^-ERR \[AUTH\]/);
  }
  await w.cmd('QUIT').catch(() => '');
}

async function timedImapLogin(port: number): Promise<{ ms: number; status: string }> {
  const c = await ImapTestClient.connect(port);
  try {
    const t0 = Date.now();
    const r = await c.login(USER, PW);
    return { ms: Date.now() - t0, status: r.tagged };
  } finally {
    await c.close();
  }
}

test('in the running server, failed POP3 logins delay an IMAP login from the same IP; an IMAP login grants POP-before-SMTP', async () => {
  const srv = await startServer({
    listeners: [
      { protocol: 'pop3', tls: 'starttls', extra: 'allow_plaintext_auth = true\n' },
      { protocol: 'imap', tls: 'starttls', extra: 'allow_plaintext_auth = true\n' },
    ],
    users: [{ address: USER, password: PW }],
    toml: '[relay]\npop_before_smtp = true\n',
  });
  try {
    const before = await timedImapLogin(srv.port('imap'));
    assert.match(before.status, /^\S+ OK/);
    assert.ok(before.ms < 900, `no delay before any failure (${before.ms} ms)`);
    // The grant is mirrored to <data_dir>/pop-before-smtp.json for `pochta relay list` (written just after).
    let grants = await loadGrants(grantsFilePath(srv.dataDir));
    for (let i = 0; i < 50 && grants.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      grants = await loadGrants(grantsFilePath(srv.dataDir));
    }
    assert.deepEqual(grants.map((g) => [g.ip, g.login]), [['127.0.0.1', USER]]);
    await failPop3(srv.port('pop3'), 2);
    const after = await timedImapLogin(srv.port('imap'));
    assert.match(after.status, /^\S+ OK/, 'the right password still works');
    assert.ok(after.ms >= 900, `the IMAP login waited for the POP3 failures (${after.ms} ms)`);
  } finally {
    await srv.close();
  }
});

test('failed POP3 logins ban the IP for IMAP too, and the ban refuses the right password', async () => {
  const srv: TestServer = await startServer({ listeners: ['lmtp'], users: [{ address: USER, password: PW }] });
  const throttle = new LoginThrottle({ freeFailures: 1, baseDelayMs: 20, maxDelayMs: 40, banFailures: 4 });
  const deps: ServiceDeps = {
    config: srv.config,
    store: srv.store,
    directory: new InternalDirectory(srv.store),
    resolver: undefined as never,
    tls: undefined,
    log: createLogger({ level: 'silent' }),
    throttle,
    popBeforeSmtp: new PopBeforeSmtp(),
  };
  const base = { ...srv.config.listeners[0]!, tls: 'none' as const, allow_plaintext_auth: true };
  const pop3 = await serve(pop3Factory, { ...base, protocol: 'pop3' }, deps);
  const imap = await serve(createImapService, { ...base, protocol: 'imap' }, deps);
  try {
    await failPop3(pop3.port, 2);
    await failPop3(pop3.port, 2);
    assert.equal(throttle.bannedIps()[0]?.ip, '127.0.0.1', 'four failures ban the IP');
    const r = await timedImapLogin(imap.port);
    assert.match(r.status, /^\S+ NO \[AUTHENTICATIONFAILED\]/, 'banned: the right password is refused over IMAP');
  } finally {
    await imap.close();
    await pop3.close();
    await srv.close();
  }
});
