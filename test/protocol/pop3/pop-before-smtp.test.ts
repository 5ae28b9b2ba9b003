import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PopBeforeSmtp } from '../../../src/directory/pop-before-smtp.js';
import { InternalDirectory } from '../../../src/directory/directory.js';
import { LoginThrottle } from '../../../src/directory/login-throttle.js';
import { createLogger } from '../../../src/lib/logger.js';
import { createPop3Factory } from '../../../src/protocols/pop3/pop3-service.js';
import { serveService } from '../../helpers/serve-service.js';
import { startServer } from '../../helpers/start-server.js';
import { Wire } from './pop3-wire.js';

test('a grant allows the IP until the window ends, then expires', () => {
  let t = 1_000_000;
  const reg = new PopBeforeSmtp({ now: () => t });
  assert.equal(reg.isAllowed('192.0.2.1'), false);
  reg.grant('::ffff:192.0.2.1', 10, 'bob@example.org');
  assert.equal(reg.isAllowed('192.0.2.1'), true);
  assert.equal(reg.isAllowed('192.0.2.2'), false);
  assert.deepEqual(reg.list(), [{ ip: '192.0.2.1', login: 'bob@example.org', until: new Date(t + 600_000) }]);
  t += 600_000 - 1;
  assert.equal(reg.isAllowed('192.0.2.1'), true);
  t += 1;
  assert.equal(reg.isAllowed('192.0.2.1'), false);
  assert.deepEqual(reg.list(), []);
});

test('a new login extends a grant and never shortens it; memory is bounded', () => {
  let t = 0;
  const reg = new PopBeforeSmtp({ now: () => t, maxEntries: 3 });
  reg.grant('192.0.2.1', 30);
  reg.grant('192.0.2.1', 5);
  t = 20 * 60_000;
  assert.equal(reg.isAllowed('192.0.2.1'), true);
  for (let i = 2; i <= 5; i++) reg.grant(`192.0.2.${i}`, 10 + i);
  assert.equal(reg.list().length, 3);
  assert.equal(reg.revoke('192.0.2.5'), true);
  assert.equal(reg.isAllowed('192.0.2.5'), false);
});

test('the POP3 login hook grants the client IP (what POP-before-SMTP wires)', async () => {
  const srv = await startServer({ listeners: ['lmtp'], users: [{ address: 'pbs@example.org', password: 'pw-pbs-1' }] });
  const reg = new PopBeforeSmtp();
  const factory = createPop3Factory({ onLogin: (ip, account) => reg.grant(ip, 10, account.address) });
  const listener = { ...srv.config.listeners[0]!, protocol: 'pop3' as const, tls: 'none' as const, allow_plaintext_auth: true };
  const served = await serveService(factory, listener, {
    config: srv.config,
    store: srv.store,
    directory: new InternalDirectory(srv.store),
    resolver: undefined as never,
    tls: undefined,
    log: createLogger({ level: 'silent' }),
    throttle: new LoginThrottle(),
    popBeforeSmtp: new PopBeforeSmtp(),
  });
  try {
    const w = await Wire.connect(served.port);
    await w.line();
    await w.cmd('USER pbs@example.org');
    assert.match(await w.cmd('PASS wrong'), /^-ERR/);
    assert.equal(reg.isAllowed('127.0.0.1'), false, 'a failed login grants nothing');
    await w.cmd('USER pbs@example.org');
    assert.match(await w.cmd('PASS pw-pbs-1'), /^\+OK/);
    assert.equal(reg.isAllowed('127.0.0.1'), true);
    assert.equal(reg.list()[0]?.login, 'pbs@example.org');
    await w.cmd('QUIT');
  } finally {
    await served.close();
    await srv.close();
  }
});
