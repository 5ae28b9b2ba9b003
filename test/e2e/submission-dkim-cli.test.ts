// `pochta dkim generate` as an admin runs it: the key file (0600) in the data dir, the DNS record printed, the
// record matching the key, clear errors for an unserved domain, a bad algorithm and an existing selector.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dkimRecordOfPrivateKey } from '../../src/protocols/smtp/server/dkim-keys.js';
import { runPochta } from '../helpers/cli.js';

let dir: string;
let cfg: string;
const pochta = (args: string[]) => runPochta(['--config', cfg, ...args]);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pochta-dkim-cli-'));
  cfg = join(dir, 'data', 'pochta.toml');
  assert.equal((await pochta(['init', '--hostname', 'mx.example.org'])).code, 0);
  assert.equal((await pochta(['domain', 'add', 'example.org'])).code, 0);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('dkim generate (rsa) writes a 0600 key and prints the TXT record that matches it', async () => {
  const r = await pochta(['dkim', 'generate', 'example.org', '--selector', 'mail']);
  assert.equal(r.code, 0, r.stderr);
  const path = join(dir, 'data', 'dkim', 'example.org.mail.key');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const expected = dkimRecordOfPrivateKey(await readFile(path, 'utf8'));
  assert.equal(expected?.algorithm, 'rsa');
  assert.match(r.stdout, /^mail\._domainkey\.example\.org\. IN TXT \( "v=DKIM1; k=rsa; p=/m);
  // The printed 255-byte strings join back into the record.
  const joined = [...r.stdout.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join('');
  assert.equal(joined, expected?.txt);
});

test('dkim generate --algorithm ed25519 --json gives the raw 32-byte key in p=', async () => {
  const r = await pochta(['--json', 'dkim', 'generate', 'example.org', '--selector', 'ed', '--algorithm', 'ed25519']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { name: string; txt: string };
  assert.equal(out.name, 'ed._domainkey.example.org');
  const p = /p=([A-Za-z0-9+/=]+)$/.exec(out.txt)?.[1];
  assert.equal(Buffer.from(p ?? '', 'base64').length, 32);
  assert.match(out.txt, /^v=DKIM1; k=ed25519; p=/);
});

test('dkim generate refuses an existing selector, an unserved domain and an unknown algorithm', async () => {
  const again = await pochta(['dkim', 'generate', 'example.org', '--selector', 'mail']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already has a key with selector mail/);
  const other = await pochta(['dkim', 'generate', 'example.com', '--selector', 'mail']);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /not a served domain/);
  const alg = await pochta(['dkim', 'generate', 'example.org', '--algorithm', 'dsa']);
  assert.equal(alg.code, 1);
  assert.match(alg.stderr, /rsa or ed25519/);
});
