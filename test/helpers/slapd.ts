/**
 * startSlapd(): a real OpenLDAP server (Debian's slapd) for directory tests, on 127.0.0.1 and a free port,
 * with a temp config (slapd.conf via -f), an mdb database and the test tree (test/fixtures/directory/tree.ldif)
 * loaded by slapadd. `stop()` kills it (to test an unreachable server), `start()` brings it back on the same
 * port, `close()` stops it and removes the temp dir.
 *
 * Needs the slapd package (scripts/install-test-deps.sh); fails with a clear message when it is missing.
 * Suffix dc=example,dc=org; service DN cn=pochta,ou=services,dc=example,dc=org / "service-secret".
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/directory/', import.meta.url));
const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';

export const LDAP_BASE = 'dc=example,dc=org';
export const LDAP_SERVICE_DN = 'cn=pochta,ou=services,dc=example,dc=org';
export const LDAP_SERVICE_PASSWORD = 'service-secret';

export interface Slapd {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** RFC 2307-style {SSHA}: base64(SHA1(password + salt) + salt), which slapd verifies on bind. */
function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`slapd did not listen on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSlapd(): Promise<Slapd> {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD)) {
    throw new Error('slapd is not installed: run scripts/install-test-deps.sh (Debian packages slapd, ldap-utils)');
  }
  const dir = await mkdtemp(join(tmpdir(), 'pochta-slapd-'));
  await mkdir(join(dir, 'db'));
  const conf = join(dir, 'slapd.conf');
  await writeFile(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `include ${join(FIXTURES, 'pochta-test.schema')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'sizelimit 500',
      'database mdb',
      `suffix "${LDAP_BASE}"`,
      `rootdn "cn=admin,${LDAP_BASE}"`,
      `directory ${join(dir, 'db')}`,
      'maxsize 10485760',
      'access to attrs=userPassword by anonymous auth by self read by * none',
      `access to * by dn.exact="${LDAP_SERVICE_DN}" read by self read by anonymous auth by * none`,
      '',
    ].join('\n'),
  );
  const tree = (await readFile(join(FIXTURES, 'tree.ldif'), 'utf8')).replace(/@PASSWORD:([^@]+)@/g, (_m, pw: string) => ssha(pw));
  await writeFile(join(dir, 'tree.ldif'), tree);
  const add = spawnSync(SLAPADD, ['-f', conf, '-l', join(dir, 'tree.ldif')], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed: ${add.stderr}`);

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  let proc: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    // -d 0: stay in the foreground (so the test owns the process), no debug output.
    const p = spawn(SLAPD, ['-f', conf, '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    proc = p;
    try {
      await waitForPort(port, 10_000);
    } catch (e) {
      p.kill('SIGKILL');
      throw new Error(`${(e as Error).message}: ${stderr}`);
    }
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url,
    port,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
