/**
 * startSlapd(): a real OpenLDAP server (Debian's slapd) for directory tests, on 127.0.0.1 and a free port,
 * with a temp config (slapd.conf via -f), an mdb database and the test tree (test/fixtures/directory/tree.ldif)
 * loaded by slapadd. `stop()` kills it (to test an unreachable server), `start()` brings it back on the same
 * port, `close()` stops it and removes the temp dir.
 *
 * Options: `tree` another fixture LDIF (ad-tree.ldif: the Active Directory look-alike of ad-test.schema);
 * `tls` a certificate and key (PEM, e.g. certs.ts testCertificate()) so the server offers StartTLS on `url`
 * and implicit TLS on `ldapsUrl` (a second loopback port); `bulkUsers` adds that many generated users
 * (bulkNNNN@example.org) and a group bulk@example.org listing them all (size-limit tests);
 * `serviceReadsPasswords` grants the service DN read access to userPassword (else only compare). `log()` returns
 * the server's stats log (connections, BIND, SRCH, CMP lines) so tests can count binds.
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

/**
 * The [directory] section of a pochta.toml serving example.org from the test tree at `url` through the service
 * account: ldap_timeout `timeout` seconds (default 2), then the `extra` lines (more [directory] keys).
 */
export function ldapDirectoryToml(url: string, extra: readonly string[] = [], timeout = 2): string {
  return [
    '[directory]',
    'ldap_domains = ["example.org"]',
    `ldap_url = "${url}"`,
    `ldap_bind_dn = "${LDAP_SERVICE_DN}"`,
    `ldap_bind_password = "${LDAP_SERVICE_PASSWORD}"`,
    `ldap_base_dn = "${LDAP_BASE}"`,
    `ldap_timeout = ${timeout}`,
    ...extra,
    '',
  ].join('\n');
}

export interface SlapdOptions {
  /** Fixture LDIF under test/fixtures/directory (default tree.ldif). */
  tree?: string;
  /** Serve StartTLS on `url` and ldaps:// on `ldapsUrl` with this certificate. */
  tls?: { cert: string; key: string };
  /** Generated users bulk0000..bulkN-1 and a group bulk@example.org with all of them. */
  bulkUsers?: number;
  /** Let the service DN read userPassword (ldap_password_check = "hash"); by default it may only compare. */
  serviceReadsPasswords?: boolean;
}

export interface Slapd {
  url: string;
  port: number;
  /** ldaps://127.0.0.1:<port> when started with `tls`, else ''. */
  ldapsUrl: string;
  /** Everything slapd logged at the stats level since it first started (all restarts). */
  log(): string;
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

export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
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
      `include ${join(FIXTURES, 'ad-test.schema')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      ...(opts.tls === undefined ? [] : [`TLSCertificateFile ${join(dir, 'cert.pem')}`, `TLSCertificateKeyFile ${join(dir, 'key.pem')}`]),
      `argsfile ${join(dir, 'slapd.args')}`,
      'sizelimit 500',
      'database mdb',
      `suffix "${LDAP_BASE}"`,
      `rootdn "cn=admin,${LDAP_BASE}"`,
      `directory ${join(dir, 'db')}`,
      'maxsize 10485760',
      // The service DN may compare passwords (ldap_password_check = "compare"), and read them only with
      // serviceReadsPasswords (ldap_password_check = "hash", Dovecot's auth_bind = no).
      `access to attrs=userPassword by anonymous auth by dn.exact="${LDAP_SERVICE_DN}" ${opts.serviceReadsPasswords === true ? 'read' : 'compare'} by self read by * none`,
      `access to * by dn.exact="${LDAP_SERVICE_DN}" read by self read by anonymous auth by * none`,
      '',
    ].join('\n'),
  );
  if (opts.tls !== undefined) {
    await writeFile(join(dir, 'cert.pem'), opts.tls.cert);
    await writeFile(join(dir, 'key.pem'), opts.tls.key, { mode: 0o600 });
  }
  let tree = (await readFile(join(FIXTURES, opts.tree ?? 'tree.ldif'), 'utf8')).replace(/@PASSWORD:([^@]+)@/g, (_m, pw: string) => ssha(pw));
  if (opts.bulkUsers !== undefined) tree += bulkLdif(opts.bulkUsers);
  await writeFile(join(dir, 'tree.ldif'), tree);
  const add = spawnSync(SLAPADD, ['-f', conf, '-l', join(dir, 'tree.ldif')], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed: ${add.stderr}`);

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsPort = opts.tls === undefined ? 0 : await freePort();
  const ldapsUrl = opts.tls === undefined ? '' : `ldaps://127.0.0.1:${ldapsPort}`;
  let proc: ChildProcess | null = null;
  let stderr = '';

  const start = async (): Promise<void> => {
    // -d 256 (stats): stay in the foreground (so the test owns the process) and log operations to stderr.
    const urls = ldapsUrl === '' ? `${url}/` : `${url}/ ${ldapsUrl}/`;
    const p = spawn(SLAPD, ['-f', conf, '-h', urls, '-d', '256'], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    proc = p;
    try {
      await waitForPort(port, 10_000);
      if (ldapsPort !== 0) await waitForPort(ldapsPort, 10_000);
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
    ldapsUrl,
    log: () => stderr,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `n` users uid=bulkNNNN (mail bulkNNNN@example.org) and the group bulk@example.org with all of them. */
function bulkLdif(n: number): string {
  const out: string[] = [''];
  const members: string[] = [];
  for (let i = 0; i < n; i++) {
    const uid = `bulk${String(i).padStart(4, '0')}`;
    const dn = `uid=${uid},ou=people,${LDAP_BASE}`;
    members.push(`member: ${dn}`);
    out.push(`dn: ${dn}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, `sn: ${uid}`, `mail: ${uid}@example.org`, '');
  }
  out.push(`dn: cn=bulk,ou=groups,${LDAP_BASE}`, 'objectClass: groupOfNames', 'objectClass: pochtaMailGroup', 'cn: bulk', 'mail: bulk@example.org', ...members, '');
  return out.join('\n');
}
