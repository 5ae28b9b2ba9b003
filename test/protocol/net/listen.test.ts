// Listeners on 127.0.0.1 (port 0) and unix sockets in a temp directory.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { listen, type Listener } from '../../../src/net/listen.js';
import { UserError } from '../../../src/lib/errors.js';

const open: Listener[] = [];
after(async () => {
  await Promise.all(open.map((l) => l.close()));
});

async function started(...args: Parameters<typeof listen>): Promise<Listener> {
  const l = await listen(...args);
  open.push(l);
  return l;
}

/** Connects and collects everything the server sends until it closes the connection. */
function talk(port: number, host = '127.0.0.1'): { socket: net.Socket; received: Promise<string> } {
  const socket = net.connect(port, host);
  const received = new Promise<string>((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
  });
  return { socket, received };
}

async function firstLine(socket: net.Socket): Promise<string> {
  const [chunk] = (await once(socket, 'data')) as [Buffer | string];
  return chunk.toString();
}

test('binds 127.0.0.1 on port 0 and hands connections to the handler', async () => {
  const l = await started({ address: '127.0.0.1', port: 0, tls: 'none' }, (socket, info) => {
    socket.end(`hello ${info.remoteAddress} ${info.secure}\r\n`);
  });
  assert.ok(l.port > 0);
  assert.equal(l.where, `127.0.0.1:${l.port}`);
  const { received } = talk(l.port);
  assert.equal(await received, 'hello 127.0.0.1 false\r\n');
});

test('a port in use is a one-line UserError naming the address, the port and the fix', async () => {
  const first = await started({ address: '127.0.0.1', port: 0, tls: 'none' }, (s) => s.destroy());
  const error = await listen({ address: '127.0.0.1', port: first.port, tls: 'none' }, (s) => s.destroy(), {
    configKey: 'listeners[0]',
  }).then(
    () => assert.fail('second bind succeeded'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UserError);
  assert.equal(
    error.message,
    `port ${first.port} on 127.0.0.1 is in use by another program: stop it or change listeners[0].port in pochta.toml`,
  );
  assert.ok(!error.message.includes('\n'));
});

test('an address the machine does not have is a UserError naming it', async () => {
  await assert.rejects(listen({ address: '192.0.2.123', port: 0, tls: 'none' }, (s) => s.destroy()), {
    name: 'UserError',
    message: /^address 192\.0\.2\.123 \(port 0\) is not an address of this machine: .* listeners\[\]\.address in pochta\.toml$/,
  });
});

test('a TLS listener without a certificate is refused', async () => {
  await assert.rejects(listen({ address: '127.0.0.1', port: 0, tls: 'implicit' }, (s) => s.destroy()), {
    name: 'UserError',
    message: /no certificate is configured/,
  });
});

test('the per-IP limit refuses the extra connection through onLimit and frees the slot on close', async () => {
  const held: net.Socket[] = [];
  const reasons: string[] = [];
  const l = await started(
    { address: '127.0.0.1', port: 0, tls: 'none' },
    (socket) => {
      held.push(socket);
      socket.write('220 welcome\r\n');
    },
    {
      maxPerIp: 2,
      onLimit: (socket, reason) => {
        reasons.push(reason);
        socket.end('421 4.7.0 too many connections\r\n');
      },
    },
  );
  const a = talk(l.port);
  const b = talk(l.port);
  assert.equal(await firstLine(a.socket), '220 welcome\r\n');
  assert.equal(await firstLine(b.socket), '220 welcome\r\n');
  assert.equal(l.connectionCount(), 2);

  const c = talk(l.port);
  assert.equal(await c.received, '421 4.7.0 too many connections\r\n');
  assert.deepEqual(reasons, ['per-ip']);
  assert.equal(l.connectionCount(), 2);

  a.socket.destroy();
  await a.received;
  while (l.connectionCount() > 1) await new Promise((r) => setTimeout(r, 10));
  const d = talk(l.port);
  assert.equal(await firstLine(d.socket), '220 welcome\r\n');
  for (const s of [b.socket, d.socket, ...held]) s.destroy();
});

test('the total limit refuses connections beyond maxConnections; without onLimit they are closed', async () => {
  const l = await started({ address: '127.0.0.1', port: 0, tls: 'none' }, (socket) => socket.write('hi\r\n'), {
    maxConnections: 1,
  });
  const a = talk(l.port);
  assert.equal(await firstLine(a.socket), 'hi\r\n');
  const b = talk(l.port);
  assert.equal(await b.received, '');
  a.socket.destroy();
});

test('close() destroys open connections and stops accepting', async () => {
  const l = await listen({ address: '127.0.0.1', port: 0, tls: 'none' }, (socket) => socket.write('hi\r\n'));
  const a = talk(l.port);
  await firstLine(a.socket);
  await l.close();
  await a.received;
  const refused = net.connect(l.port, '127.0.0.1');
  const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
});

test('a unix socket listener replaces a stale socket file and is mode 0660', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-net-'));
  try {
    const path = join(dir, 'lmtp.sock');
    // A socket file left behind by a process that is gone.
    spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    assert.ok((await stat(path)).isSocket());

    const l = await listen({ address: `unix:${path}`, port: 0, tls: 'none' }, (socket, info) => {
      socket.end(`hello [${info.remoteAddress}]\r\n`);
    }, { maxPerIp: 1 });
    assert.equal((await stat(path)).mode & 0o777, 0o660);
    assert.equal(l.where, path);
    const a = net.connect(path);
    const b = net.connect(path);
    const texts = await Promise.all(
      [a, b].map(
        (s) =>
          new Promise<string>((resolve) => {
            let t = '';
            s.on('data', (d) => (t += d.toString()));
            s.on('close', () => resolve(t));
          }),
      ),
    );
    // No per-IP limit applies to unix sockets.
    assert.deepEqual(texts, ['hello []\r\n', 'hello []\r\n']);

    await assert.rejects(listen({ address: `unix:${path}`, port: 0, tls: 'none' }, (s) => s.destroy(), { configKey: 'listeners[2]' }), {
      name: 'UserError',
      message: `unix socket ${path} is in use by another program: stop it or change listeners[2].address in pochta.toml`,
    });
    await l.close();

    const file = join(dir, 'plain-file');
    await writeFile(file, 'data');
    await assert.rejects(listen({ address: `unix:${file}`, port: 0, tls: 'none' }, (s) => s.destroy()), {
      name: 'UserError',
      message: /exists and is not a socket/,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
