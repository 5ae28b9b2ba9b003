/**
 * startServer(): a whole pochta server in this process for protocol and e2e tests: a temp data dir, a
 * SqliteStore, a test certificate, the fake DNS on loopback as the resolver, and every listener on 127.0.0.1
 * (or `address`) with an ephemeral port (or the listener's fixed `port`). Listeners, domains, users and aliases come from the options; config tweaks are TOML.
 *
 *   const srv = await startServer({ listeners: ['smtp'], users: [{ address: 'a@example.org', password: 'pw...' }] });
 *   srv.port('smtp')  // the bound port
 *   await srv.close()
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../src/config/index.js';
import { bindServices } from '../../src/cli/services.js';
import type { Services } from '../../src/cli/runtime.js';
import { hashPassword } from '../../src/directory/passwords.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { testCertificate } from './certs.js';
import { startFakeDns, type FakeDns } from './fake-dns.js';

export type TestListener =
  | 'smtp'
  | 'submission'
  | 'lmtp'
  | 'imap'
  | 'pop3'
  | {
      protocol: 'smtp' | 'submission' | 'lmtp' | 'imap' | 'pop3';
      tls?: 'none' | 'starttls' | 'implicit';
      name?: string;
      extra?: string;
      /** A fixed port (default: an ephemeral one). */
      port?: number;
    };

export interface StartServerOptions {
  listeners?: TestListener[];
  /** Domains to add (default ['example.org']). */
  domains?: string[];
  users?: Array<{ address: string; password: string; quotaBytes?: number; enabled?: boolean }>;
  aliases?: Array<{ address: string; targets: string[] }>;
  /** Extra TOML appended to the generated config (sections other than [server], [tls], [dns] and [log]). */
  toml?: string;
  /** Share a fake DNS (default: a new one, closed with the server). */
  dns?: FakeDns;
  hostname?: string;
  /** Address every listener binds (default 127.0.0.1; any 127.0.0.0/8 address works on Linux). */
  address?: string;
  /** Log level (default 'silent'; set POCHTA_TEST_LOG=debug to see logs). */
  logLevel?: 'silent' | 'debug' | 'info' | 'warn' | 'error';
}

export interface TestServer {
  config: Config;
  store: SqliteStore;
  dns: FakeDns;
  dataDir: string;
  services: Services;
  ca: string;
  hostname: string;
  /** Port of the n-th listener with this protocol (or the listener named `name`). */
  port(protocolOrName: string, nth?: number): number;
  close(): Promise<void>;
}

function listenerToml(l: TestListener, index: number, address: string): string {
  const spec = typeof l === 'string' ? { protocol: l } : l;
  const tls = spec.tls ?? (spec.protocol === 'lmtp' ? 'none' : 'starttls');
  return `[[listeners]]\nprotocol = "${spec.protocol}"\naddress = "${address}"\nport = ${index + 1}\ntls = "${tls}"\n${typeof l === 'string' ? '' : (l.extra ?? '')}\n`;
}

export async function startServer(opts: StartServerOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pochta-srv-'));
  const dns = opts.dns ?? (await startFakeDns());
  const ownDns = opts.dns === undefined;
  const hostname = opts.hostname ?? 'mx.example.org';
  const cert = await testCertificate();
  await mkdir(join(dataDir, 'tls'), { recursive: true });
  await writeFile(join(dataDir, 'tls', 'cert.pem'), cert.cert);
  await writeFile(join(dataDir, 'tls', 'key.pem'), cert.key, { mode: 0o600 });
  const listeners = opts.listeners ?? ['smtp'];
  const text = [
    `[server]\nhostname = "${hostname}"\ndata_dir = "."\nshutdown_timeout = 5\n`,
    `[tls]\ncert = "tls/cert.pem"\nkey = "tls/key.pem"\n`,
    `[dns]\nservers = ["${dns.server}"]\ntimeout_ms = 1000\ntries = 1\n`,
    ...listeners.map((l, i) => listenerToml(l, i, opts.address ?? '127.0.0.1')),
    opts.toml ?? '',
  ].join('\n');
  const configPath = join(dataDir, 'pochta.toml');
  await writeFile(configPath, text);
  const config = parseConfig(text, configPath);
  // The schema accepts only real ports (1-65535): the file has placeholders 1, 2, ...; tests bind ephemeral ones.
  for (const [i, l] of config.listeners.entries()) {
    const spec = listeners[i];
    l.port = typeof spec === 'object' && spec.port !== undefined ? spec.port : 0;
  }

  const store = await openSqliteStore({ dir: dataDir });
  for (const d of opts.domains ?? ['example.org']) await store.addDomain({ name: d });
  for (const u of opts.users ?? []) {
    await store.createAccount({ address: u.address, passwordHash: await hashPassword(u.password), quotaBytes: u.quotaBytes ?? 0, enabled: u.enabled ?? true });
  }
  for (const a of opts.aliases ?? []) await store.addAlias(a.address, a.targets);

  const level = (process.env['POCHTA_TEST_LOG'] as Logger['level'] | undefined) ?? opts.logLevel ?? 'silent';
  const log = createLogger({ level: level as 'silent', sync: true, destination: 'stderr' });
  const services = await bindServices(config, log);
  services.start(store);

  return {
    config,
    store,
    dns,
    dataDir,
    services,
    ca: cert.cert,
    hostname,
    port(protocolOrName: string, nth = 0) {
      const named = listeners.findIndex((l) => typeof l !== 'string' && l.name === protocolOrName);
      if (named >= 0) return services.listeners[named]!.port;
      const matches = services.listeners.filter((l) => l.protocol === protocolOrName);
      const m = matches[nth];
      if (!m) throw new Error(`no ${protocolOrName} listener #${nth}`);
      return m.port;
    },
    async close() {
      await services.close(new Date(Date.now() + 2000));
      await store.close();
      if (ownDns) await dns.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
