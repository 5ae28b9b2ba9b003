/**
 * Optional native libxcrypt binding (native/xcrypt.c, built by native/build-xcrypt.sh) for the hashes no
 * npm package verifies: yescrypt (`$y$`, Debian's /etc/shadow default), gost-yescrypt, scrypt (`$7$`).
 *
 * Loaded once, lazily, from $POCHTA_XCRYPT or <package root>/build/xcrypt.node; when absent or broken,
 * `loadXcrypt()` answers null and those hashes do not verify (callers log it). The binding runs crypt_rn
 * on the libuv pool; the comparison with the stored hash is constant-time here.
 *
 * Side effects: dlopen of the addon at first use.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timingSafeEqual } from 'node:crypto';

interface XcryptAddon {
  hash(phrase: string, setting: string): Promise<string | null>;
}

let loaded: XcryptAddon | null | undefined;

function addonPath(): string | null {
  const env = process.env['POCHTA_XCRYPT'];
  if (env !== undefined && env !== '') return env;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const p = join(dir, 'build', 'xcrypt.node');
      return existsSync(p) ? p : null;
    }
    dir = dirname(dir);
  }
  return null;
}

/** The addon, or null when it was not built (or fails to load). */
export function loadXcrypt(): XcryptAddon | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const path = addonPath();
  if (path === null) return null;
  try {
    const mod = createRequire(import.meta.url)(path) as Partial<XcryptAddon>;
    if (typeof mod.hash === 'function') loaded = mod as XcryptAddon;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** True when `password` hashes to `hash` under libxcrypt; false when it does not or the addon is missing. */
export async function verifyWithXcrypt(password: string, hash: string): Promise<boolean> {
  const addon = loadXcrypt();
  if (addon === null) return false;
  const out = await addon.hash(password, hash);
  if (out === null) return false;
  const a = Buffer.from(out);
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}
