/**
 * Prepares a pochta data directory for benchmarks: a config with the given listeners on 127.0.0.1, the domain
 * bench.test and users user1..userN@bench.test with password "pass" (like ../shared/bench/ref-setup.sh).
 *
 *   node --import tsx bench/lib/setup-pochta.ts DATA_DIR --smtp 2625 [--imap 2143] [--pop3 2110] [--users 100]
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hashPassword } from '../../src/directory/passwords.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { generateSelfSignedCert } from '../../src/net/self-signed.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    smtp: { type: 'string' },
    lmtp: { type: 'string' },
    imap: { type: 'string' },
    pop3: { type: 'string' },
    users: { type: 'string', default: '100' },
    domain: { type: 'string', default: 'bench.test' },
    toml: { type: 'string', default: '' },
  },
});
const dir = resolve(positionals[0] ?? 'bench-data');
await rm(dir, { recursive: true, force: true });
await mkdir(join(dir, 'tls'), { recursive: true });
const { cert, key } = await generateSelfSignedCert({ hostname: `mx.${values.domain}`, ips: ['127.0.0.1'] });
await writeFile(join(dir, 'tls', 'cert.pem'), cert);
await writeFile(join(dir, 'tls', 'key.pem'), key, { mode: 0o600 });

const listeners: string[] = [];
for (const p of ['smtp', 'lmtp', 'imap', 'pop3'] as const) {
  const port = values[p];
  if (port) {
    listeners.push(`[[listeners]]\nprotocol = "${p}"\naddress = "127.0.0.1"\nport = ${port}\ntls = "none"\nallow_plaintext_auth = true\n`);
  }
}
const toml = [
  `[server]\nhostname = "mx.${values.domain}"\ndata_dir = "."\nuser = ""\n`,
  `[log]\nlevel = "warn"\n`,
  `[smtp]\nmax_connections_per_ip = 1000\nmax_connections = 5000\n`,
  ...listeners,
  values.toml ?? '',
].join('\n');
await writeFile(join(dir, 'pochta.toml'), toml);

const store = await openSqliteStore({ dir });
await store.addDomain({ name: values.domain! });
const hash = await hashPassword('pass');
const n = Number(values.users);
for (let i = 1; i <= n; i++) await store.createAccount({ address: `user${i}@${values.domain}`, passwordHash: hash });
await store.close();
console.log(`${dir}: ${n} users @${values.domain}`);
