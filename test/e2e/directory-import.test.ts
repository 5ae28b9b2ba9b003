/**
 * `pochta import users` on a Dovecot passwd-file and `pochta import aliases` on aliases(5) and a Postfix
 * virtual table (test/fixtures/directory), run through the real CLI program in-process against a running
 * server's data dir; imported users then log in over IMAP with their OLD passwords, and the hash is
 * replaced by argon2id at that first login.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { bindServices } from '../../src/cli/services.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startServer, type TestServer } from '../helpers/start-server.js';
import { LineClient } from '../protocol/directory/line-client.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/directory/', import.meta.url));
let srv: TestServer;

before(async () => {
  srv = await startServer({
    listeners: [{ protocol: 'smtp', tls: 'none' }, { protocol: 'imap', tls: 'none', extra: 'allow_plaintext_auth = true' }],
    domains: [],
  });
});

after(async () => {
  await srv?.close();
});

/** Runs `pochta --json -c <server config> ...args` in-process; returns the parsed JSON output. */
async function pochta(args: string[]): Promise<Array<Record<string, unknown>>> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  // The CLI writes strings; the test runner's own (binary) reports pass through untouched.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]): boolean => {
    if (typeof chunk !== 'string') return write(chunk, ...rest);
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await runCli(['node', 'pochta', '--json', '-c', join(srv.dataDir, 'pochta.toml'), ...args], {
      openStore: (config) => openSqliteStore({ dir: config.server.data_dir }),
      bindServices,
    });
  } finally {
    process.stdout.write = write;
  }
  assert.equal(process.exitCode ?? 0, 0, `pochta ${args.join(' ')} failed: ${out}`);
  return JSON.parse(out) as Array<Record<string, unknown>>;
}

async function imapLogin(login: string, password: string): Promise<string> {
  const c = await LineClient.connect(srv.port('imap'));
  await c.until(/^\* OK/);
  const r = await c.cmd(`x LOGIN "${login}" "${password}"`, /^x /);
  c.close();
  return r;
}

describe('pochta import', () => {
  it('imports a Dovecot passwd-file, keeping hashes, and skips what it cannot verify', async () => {
    const rows = await pochta(['import', 'users', join(FIXTURES, 'dovecot-passwd'), '--domain', 'old.example']);
    const action = (entry: string): unknown => rows.find((r) => r['entry'] === entry)?.['action'];
    for (const u of ['anna', 'boris', 'clara', 'dmitri', 'elena', 'fedor']) assert.equal(action(`${u}@old.example`), 'added', u);
    assert.equal(rows.find((r) => r['action'] === 'skipped')?.['note'], 'password scheme {SSHA} cannot be verified by pochta');
    const anna = await srv.store.getAccount('anna@old.example');
    assert.ok(anna !== null && anna.passwordHash.startsWith('{SHA512-CRYPT}$6$'));
    assert.equal(anna.quotaBytes, 1024 ** 3);
    assert.equal(await srv.store.getAccount('gleb@old.example'), null);
  });

  it('lets imported users log in with their old passwords and rehashes them to argon2id', async () => {
    const users: Array<[string, string]> = [
      ['anna', 'old-secret-1'],
      ['boris', 'old-secret-2'],
      ['clara', 'old-secret-3'],
      ['dmitri', 'old-secret-4'],
      ['elena', 'old-secret-1'],
      ['fedor', 'old-secret-6'],
    ];
    for (const [u, pw] of users) assert.match(await imapLogin(`${u}@old.example`, pw), /^x OK/m, u);
    for (const [u] of users) {
      const a = await srv.store.getAccount(`${u}@old.example`);
      assert.ok(a?.passwordHash.startsWith('$argon2id$'), `${u} rehashed: ${a?.passwordHash.slice(0, 16)}`);
    }
    // The new hash still accepts the same password, and only it.
    assert.match(await imapLogin('anna@old.example', 'old-secret-1'), /^x OK/m);
    assert.match(await imapLogin('anna@old.example', 'old-secret-2'), /^x NO/m);
  });

  it('imports an aliases(5) file: local names qualified, commands skipped', async () => {
    const rows = await pochta(['import', 'aliases', join(FIXTURES, 'aliases'), '--domain', 'old.example']);
    assert.deepEqual((await srv.store.getAlias('sales@old.example'))?.targets, ['anna@old.example', 'boris@old.example', 'clara@old.example']);
    assert.deepEqual((await srv.store.getAlias('postmaster@old.example'))?.targets, ['root@old.example']);
    assert.deepEqual((await srv.store.getAlias('outside@old.example'))?.targets, ['someone@remote.example']);
    assert.equal(await srv.store.getAlias('backup@old.example'), null);
    assert.ok(rows.some((r) => r['action'] === 'skipped' && r['entry'] === '|/usr/local/bin/archive'));
  });

  it('imports a Postfix virtual table, with its domain and catch-all, and mail follows it', async () => {
    await pochta(['import', 'aliases', join(FIXTURES, 'virtual')]);
    assert.deepEqual((await srv.store.getAlias('info@other.example'))?.targets, ['anna@old.example', 'boris@old.example']);
    const d = await srv.store.getDomain('other.example');
    assert.equal(d?.unknownPolicy, 'catch-all');
    assert.equal(d?.catchAll, 'anna@old.example');
    const c = await LineClient.connect(srv.port('smtp'));
    await c.until(/^220 /);
    await c.cmd('EHLO client.example.net', /^250 /);
    await c.cmd('MAIL FROM:<sender@example.net>', /^250 /);
    assert.match(await c.cmd('RCPT TO:<team@other.example>', /^\d{3} /), /^250 /);
    assert.match(await c.cmd('RCPT TO:<whoever@other.example>', /^\d{3} /), /^250 /);
    c.close();
  });
});
