import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindError } from '../../../src/net/bind-error.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`listen ${code}`), { code });

test('port in use names the port, the address and the config key to change', () => {
  const e = bindError(errno('EADDRINUSE'), { address: '0.0.0.0', port: 25, configKey: 'listeners[0]' });
  assert.equal(e.name, 'UserError');
  assert.equal(e.message, 'port 25 on 0.0.0.0 is in use by another program: stop it or change listeners[0].port in pochta.toml');
});

test('a privileged port without privileges explains root or CAP_NET_BIND_SERVICE', () => {
  const e = bindError(errno('EACCES'), { address: '::', port: 465, configKey: 'listeners[1]' });
  assert.match(e.message, /^port 465 on :: needs privileges: ports below 1024 need root or CAP_NET_BIND_SERVICE .*listeners\[1\]\.port in pochta\.toml$/);
});

test('unix socket errors name the path and the address key', () => {
  const e = bindError(errno('ENOENT'), { address: 'unix:/run/pochta/lmtp.sock', port: 0, configKey: 'listeners[3]' });
  assert.equal(
    e.message,
    'cannot create unix socket /run/pochta/lmtp.sock: its directory does not exist: create it or change listeners[3].address in pochta.toml',
  );
});

test('every message is one line and keeps the cause', () => {
  for (const code of ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EMFILE']) {
    const cause = errno(code);
    const e = bindError(cause, { address: '127.0.0.1', port: 2525, configKey: 'listeners[0]' });
    assert.ok(!e.message.includes('\n'), code);
    assert.match(e.message, /pochta\.toml$/, code);
    assert.equal(e.cause, cause);
  }
});
