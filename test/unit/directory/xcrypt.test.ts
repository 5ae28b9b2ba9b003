/**
 * The native libxcrypt addon: built here with src/directory/native/build-xcrypt.sh (cc + libcrypt-dev, as on
 * Debian with build-essential), then verifying a yescrypt hash made by chpasswd on Debian 12.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

const BUILD = fileURLToPath(new URL('../../../src/directory/native/build-xcrypt.sh', import.meta.url));
const YESCRYPT = '$y$j9T$GsTj4JClRgfCK7TU5gYLP1$0Bnxrzc3GyfNE0c6wvQp..O64E.SnpCBc6eqF8QZ69/'; // yes-secret-7
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pochta-xcrypt-'));
  const out = join(dir, 'xcrypt.node');
  try {
    execFileSync('sh', [BUILD, out], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`building the xcrypt addon failed (needs cc and libcrypt-dev): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
  }
  process.env['POCHTA_XCRYPT'] = out;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('verifies a yescrypt hash through the addon, in constant time, and refuses a wrong password', async () => {
  const { verifyCryptHash, verifiableSchemes } = await import('../../../src/directory/crypt-hashes.js');
  assert.ok(verifiableSchemes().has('yescrypt'));
  assert.equal(await verifyCryptHash('yes-secret-7', YESCRYPT), true);
  assert.equal(await verifyCryptHash('yes-secret-8', YESCRYPT), false);
  assert.equal(await verifyCryptHash('yes-secret-7', `${YESCRYPT.slice(0, -2)}xx`), false);
  assert.equal(await verifyCryptHash('x', '$y$garbage'), false);
});
