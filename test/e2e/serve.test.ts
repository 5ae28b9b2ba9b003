/**
 * `pochta serve` as a process: first start (data dir, config, certificate, admin account with a password shown
 * once), privilege drop when root, SIGTERM exits 0, SIGHUP reloads (and keeps running on a bad file), and a
 * port in use is one clear line with a non-zero exit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm, readFile, writeFile, stat, chmod } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../helpers/free-port.js';
import { runPochta, spawnPochta, waitForOutput } from '../helpers/cli.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { verifyPassword } from '../../src/directory/passwords.js';

let dir: string;
const isRoot = process.getuid?.() === 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pochta-serve-'));
  await chmod(dir, 0o755); // the unprivileged server user must be able to reach its data dir
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function exitOf(child: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const t = setTimeout(() => reject(new Error('process did not exit')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}


function smtpGreeting(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host });
    s.setTimeout(5000, () => reject(new Error('no greeting')));
    s.once('data', (d) => {
      s.end('QUIT\r\n');
      resolve(d.toString());
    });
    s.once('error', reject);
  });
}

/**
 * A port offset for the default listeners (25, 587, 465, 143, 993, 110, 995) whose ports are all free, kept
 * below Linux's ephemeral range (32768+) so that other tests' client sockets cannot take them meanwhile.
 */
async function freeOffset(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const offset = 10000 + Math.floor(Math.random() * 19000);
    const ports = [25, 587, 465, 143, 993, 110, 995].map((p) => p + offset);
    const free = await Promise.all(
      ports.map(
        (port) =>
          new Promise<boolean>((resolve) => {
            const srv = net.createServer();
            srv.once('error', () => resolve(false));
            srv.listen(port, '::', () => srv.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free port offset found');
}

function uidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

test('first start creates the data dir, config, certificate and an admin whose password is printed once', async () => {
  const cfg = join(dir, 'first', 'pochta.toml');
  const offset = await freeOffset();
  const child = spawnPochta(['serve', '--config', cfg, '--domain', 'example.test', '--port-offset', String(offset)]);
  try {
    const out = await waitForOutput(child, /password for admin@example\.test: (\S+)/);
    const password = /password for admin@example\.test: (\S+)/.exec(out)![1]!;
    assert.ok(password.length >= 16);
    assert.match(out, new RegExp(`smtp\\s+\\S+:${25 + offset}`));
    // The banner says whether low ports were moved: only when not started as root.
    if (isRoot) assert.doesNotMatch(out, /not root/);
    else assert.match(out, /not root: ports below 1024 are served at port \+ 10000/);
    for (const f of ['pochta.toml', 'tls/cert.pem', 'tls/key.pem', 'pochta.db']) assert.ok(existsSync(join(dir, 'first', f)), f);
    assert.equal((await stat(join(dir, 'first', 'tls', 'key.pem'))).mode & 0o077, 0, 'the TLS key is private');
    assert.match(await smtpGreeting(25 + offset), /^220 /);
    if (isRoot) {
      const uid = uidOf(child.pid!);
      assert.notEqual(uid, 0, 'the server dropped root');
      assert.equal((await stat(join(dir, 'first', 'pochta.db'))).uid, uid, 'the data dir belongs to the server user');
    }
    child.kill('SIGTERM');
    assert.equal(await exitOf(child), 0);

    const store = await openSqliteStore({ dir: join(dir, 'first') });
    try {
      const admin = await store.getAccount('admin@example.test');
      assert.ok(admin);
      assert.equal(await verifyPassword(password, admin.passwordHash), true);
    } finally {
      await store.close();
    }
    const check = await runPochta(['--config', cfg, 'check-config']);
    assert.equal(check.code, 0, check.stderr);

    // A second start finds the config: no new account, no password shown.
    const again = spawnPochta(['serve', '--config', cfg, '--port-offset', String(offset)]);
    const out2 = await waitForOutput(again, /pochta started|listeners/);
    assert.doesNotMatch(out2, /password for/);
    again.kill('SIGTERM');
    assert.equal(await exitOf(again), 0);
  } finally {
    child.kill('SIGKILL');
  }
});

async function writeConfig(name: string, port: number, extra = ''): Promise<string> {
  const cfg = join(dir, name, 'pochta.toml');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(
    cfg,
    `[server]\nhostname = "mx.example.test"\ndata_dir = "."\nuser = ""\n\n` +
      `[[listeners]]\nprotocol = "smtp"\naddress = "127.0.0.1"\nport = ${port}\ntls = "none"\n${extra}`,
  );
  return cfg;
}

test('SIGHUP reloads a valid config and keeps running on an invalid one', async () => {
  const port = await freePort();
  const cfg = await writeConfig('reload', port);
  const child = spawnPochta(['serve', '--config', cfg]);
  try {
    await waitForOutput(child, /pochta started/);
    const good = await readFile(cfg, 'utf8');
    await writeFile(cfg, good + '\n[smtp]\nno_such_key = 1\n');
    child.kill('SIGHUP');
    await waitForOutput(child, /reload failed/);
    assert.match(await smtpGreeting(port), /^220 /, 'still serving after a bad reload');
    await writeFile(cfg, good);
    child.kill('SIGHUP');
    await waitForOutput(child, /configuration reloaded/);
    child.kill('SIGTERM');
    assert.equal(await exitOf(child), 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a port in use gives one line naming the port and the fix, and a non-zero exit', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const cfg = await writeConfig('busy', port);
    const r = await runPochta(['serve', '--config', cfg]);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`${port}.*in use`));
    assert.match(lines[0]!, /listeners\[0\]\.port/);
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});
