/**
 * `pochta serve`: runs the server.
 *
 * First start (no config file at the default path, or at --config): creates the data directory, a self-signed
 * TLS certificate, the config file, one domain and an admin account whose random password is printed once.
 * The config file is written last, so a first start that fails half way is simply retried.
 *
 * Process contract (issue 2 item 7): bind every port first; as root, then drop to `server.user` before any
 * client byte is read; SIGTERM/SIGINT stop accepting and let in-flight work finish until
 * `server.shutdown_timeout`, then exit 0; SIGHUP reloads the config and certificates (an invalid file keeps
 * the running config and logs why).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig, renderExampleConfig, type Config } from '../../config/index.js';
import { UserError } from '../../lib/errors.js';
import { writeFileAtomic } from '../../lib/fs-atomic.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { chownTree, dropPrivileges, ensureSystemUser, isRoot } from '../../lib/privileges.js';
import { generateSelfSignedCert } from '../../net/self-signed.js';
import { hashPassword } from '../../directory/passwords.js';
import { resolveConfigPath } from '../config-path.js';
import { normalizeDomainOrThrow } from '../validate.js';
import type { CliContext } from '../context.js';
import type { Services } from '../runtime.js';
import type { Store } from '../../store/types.js';

interface FirstStartResult {
  domain: string;
  admin: string;
  password: string;
}

/** A random password of 20 characters from an unambiguous alphabet. */
function randomPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

async function firstStart(ctx: CliContext, configPath: string, domainArg: string | undefined): Promise<FirstStartResult> {
  const domain = normalizeDomainOrThrow(domainArg ?? 'localhost');
  const dataDir = dirname(configPath);
  const host = osHostname();
  await mkdir(dataDir, { recursive: true, mode: 0o750 });
  const text = renderExampleConfig({ hostname: host, dataDir: '.' });
  // Validate what we are about to write before creating anything else.
  const tmpPath = join(dataDir, '.pochta.toml.first-start');
  await writeFile(tmpPath, text, { mode: 0o640 });
  let config: Config;
  try {
    config = await loadConfig(tmpPath);
  } finally {
    await import('node:fs/promises').then((fs) => fs.unlink(tmpPath)).catch(() => undefined);
  }
  if (!existsSync(config.tls.cert) || !existsSync(config.tls.key)) {
    const { cert, key } = await generateSelfSignedCert({ hostname: host });
    await writeFileAtomic(config.tls.key, key, 0o600);
    await writeFileAtomic(config.tls.cert, cert, 0o644);
  }
  const store = await ctx.runtime.openStore(config);
  const admin = `admin@${domain}`;
  const password = randomPassword();
  try {
    if (!(await store.getDomain(domain))) await store.addDomain({ name: domain, unknownPolicy: 'reject' });
    const existing = await store.getAccount(admin);
    const hash = await hashPassword(password);
    if (existing) await store.updateAccount(admin, { passwordHash: hash });
    else await store.createAccount({ address: admin, passwordHash: hash });
    await store.addAlias(`postmaster@${domain}`, [admin]).catch(() => undefined);
  } finally {
    await store.close();
  }
  await writeFileAtomic(configPath, text, 0o640);
  return { domain, admin, password };
}

function banner(config: Config, services: Services, configPath: string, first: FirstStartResult | null, startedAsRoot: boolean): string {
  const lines = [`pochta ${config.server.hostname}: config ${configPath}, data ${config.server.data_dir}`];
  for (const l of services.listeners) {
    lines.push(`  ${l.protocol.padEnd(10)} ${l.address.includes(':') && !l.address.startsWith('unix:') ? `[${l.address}]` : l.address}:${l.port}  tls=${l.tls}`);
  }
  if (services.unavailable.length > 0) lines.push(`  not served by this build yet: ${services.unavailable.join(', ')}`);
  if (!startedAsRoot) lines.push('  (not root: ports below 1024 are served at port + 10000)');
  if (first) {
    lines.push(`first start: created domain ${first.domain} and the account ${first.admin}`);
    lines.push(`  password for ${first.admin}: ${first.password}   (shown once; change it with: pochta user passwd ${first.admin})`);
  }
  return lines.join('\n') + '\n';
}

/** `--port-offset N`: every listener port + N, to run a second instance beside another (or in tests). */
function applyPortOffset(config: Config, offset: number | undefined): Config {
  if (!offset) return config;
  return { ...config, listeners: config.listeners.map((l) => (l.port > 0 ? { ...l, port: l.port + offset } : l)) };
}

function parsePortOffset(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 60000) throw new UserError(`--port-offset: '${text}' must be an integer from 0 to 60000`);
  return n;
}

export async function serve(ctx: CliContext, opts: { domain?: string; portOffset?: string }): Promise<void> {
  const portOffset = parsePortOffset(opts.portOffset);
  const { path: configPath } = resolveConfigPath(ctx.globals().config);
  let first: FirstStartResult | null = null;
  if (!existsSync(configPath)) first = await firstStart(ctx, configPath, opts.domain);
  let config = applyPortOffset(await loadConfig(configPath), portOffset);
  const log: Logger = createLogger({ level: config.log.level });

  // Signal handlers first: a SIGTERM during start-up must stop cleanly, not kill the process half-started.
  let services: Services | null = null;
  let store: Store | null = null;
  const timers: { gc?: NodeJS.Timeout } = {};
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const deadline = new Date(Date.now() + config.server.shutdown_timeout * 1000);
    clearInterval(timers.gc);
    try {
      await services?.close(deadline);
      await store?.close();
      log.info('stopped');
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    void (async () => {
      if (!services) return;
      try {
        const next = applyPortOffset(await loadConfig(configPath), portOffset);
        await services.reload(next);
        config = next;
        log.info('configuration reloaded');
      } catch (e) {
        log.error({ err: e instanceof UserError ? e.message : e }, 'reload failed: keeping the running configuration');
      }
    })();
  });

  const startedAsRoot = isRoot(); // before privileges are dropped
  services = await ctx.runtime.bindServices(config, log);
  if (isRoot() && config.server.user) {
    const ids = ensureSystemUser(config.server.user);
    chownTree(config.server.data_dir, ids.uid, ids.gid);
    dropPrivileges(ids);
    log.info({ user: ids.name, uid: ids.uid }, 'dropped root privileges');
  } else if (isRoot()) {
    log.warn('running as root: server.user is empty, so privileges are not dropped');
  }
  const openStore = await ctx.runtime.openStore(config);
  store = openStore;
  if (stopping) return;
  services.start(openStore);
  // Bodies no message references any more (expunged, account removed) are collected hourly.
  const gcTimer = setInterval(() => {
    openStore.collectGarbage().then(
      (n) => n > 0 && log.info({ removed: n }, 'collected unreferenced message bodies'),
      (e: unknown) => log.error({ err: e }, 'garbage collection failed'),
    );
  }, 3600_000);
  gcTimer.unref();
  timers.gc = gcTimer;
  process.stdout.write(banner(config, services, configPath, first, startedAsRoot));
  log.info({ listeners: services.listeners }, 'pochta started');
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the mail server (creates ./data and an admin account on first start)')
    .option('--domain <name>', 'on first start: the domain to create (default localhost)')
    .option('--port-offset <n>', 'add N to every listener port (a second instance beside another, or tests)')
    .action(async (opts: { domain?: string; portOffset?: string }) => {
      await serve(ctx, opts);
    });
}
