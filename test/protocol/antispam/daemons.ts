/**
 * Starts the real spam filter daemons from Debian for the filter tests (scripts/install-test-deps.sh installs
 * them), on free loopback ports: SpamAssassin's spamd with local tests only (-L: no DNS, no network), and rspamd
 * with the packaged configuration overridden from a temp dir (its own workers' ports, the fake DNS as its only
 * nameserver, console logging, fuzzy checks off since their upstreams would be resolved by the system).
 * Each returns null when the daemon is not installed, so the caller can skip with a reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export interface Daemon {
  port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`daemon did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
}

export async function startSpamd(): Promise<Daemon | null> {
  if (!existsSync('/usr/sbin/spamd')) return null;
  const port = await freePort();
  const args = ['-L', `--listen=127.0.0.1:${port}`, '--max-children=1', '--min-children=1', '--nouser-config', '-s', 'stderr'];
  // spamd refuses to keep root privileges for its children: give it an unprivileged user.
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  const child = spawn('/usr/sbin/spamd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  try {
    await waitForPort(port, child, 30_000);
  } catch (e) {
    await stopper(child)();
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return { port, stop: stopper(child) };
}

export async function startRspamd(nameserver: string): Promise<Daemon | null> {
  if (!existsSync('/usr/bin/rspamd') || !existsSync('/etc/rspamd/rspamd.conf')) return null;
  const [normal, controller, proxy] = [await freePort(), await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'pochta-rspamd-'));
  const over = join(dir, 'override.d');
  await mkdir(over);
  await mkdir(join(dir, 'local.d'));
  await writeFile(join(over, 'worker-normal.inc'), `bind_socket = "127.0.0.1:${normal}";\ncount = 1;\n`);
  await writeFile(join(over, 'worker-controller.inc'), `bind_socket = "127.0.0.1:${controller}";\ncount = 1;\n`);
  await writeFile(join(over, 'worker-proxy.inc'), `bind_socket = "127.0.0.1:${proxy}";\ncount = 0;\n`);
  await writeFile(join(over, 'options.inc'), `dns {\n  nameserver = ["${nameserver}"];\n  timeout = 1s;\n  retransmits = 1;\n}\n`);
  await writeFile(join(over, 'logging.inc'), 'type = "console";\nlevel = "error";\n');
  await writeFile(join(dir, 'local.d', 'fuzzy_check.conf'), 'enabled = false;\n');
  const vars = ['LOCAL_CONFDIR', 'RUNDIR', 'DBDIR', 'LOGDIR'].map((v) => `--var=${v}=${dir}`);
  // -i: the tests may run as root; rspamd then keeps root instead of refusing to start.
  const child = spawn('/usr/bin/rspamd', ['-f', '-i', '-c', '/etc/rspamd/rspamd.conf', ...vars], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const stop = stopper(child);
  try {
    await waitForPort(normal, child, 60_000);
  } catch (e) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return {
    port: normal,
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
