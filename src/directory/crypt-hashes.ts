/**
 * Verification of foreign password hashes: crypt(3) strings found in /etc/shadow and Dovecot passwd-files
 * (`{SHA512-CRYPT}$6$...`, `{SHA256-CRYPT}$5$...`, `{BLF-CRYPT}$2y$...`, `{ARGON2ID}$argon2id$...`).
 *
 * - SHA-crypt ($5$, $6$, with or without rounds=) through unixcrypt, which matches libxcrypt byte for byte;
 *   bcrypt ($2a$, $2b$, $2y$) through bcryptjs. Both compare in constant time inside the library.
 * - yescrypt ($y$, $gy$, $7$) through the optional libxcrypt addon (xcrypt.ts) when it was built; without
 *   it, and for MD5-crypt ($1$), DES crypt and anything else, `verifyCryptHash` answers false and
 *   `cryptScheme` names the scheme so callers can log why a login failed.
 * - Never throws: a malformed hash verifies as false.
 *
 * Side effects: CPU only (bcrypt and SHA-crypt run on the main thread: ~25 ms for $6$ at 5000 rounds).
 */

import { compare as bcryptCompare } from 'bcryptjs';
import { verify as shaCryptVerify } from 'unixcrypt';
import { loadXcrypt, verifyWithXcrypt } from './xcrypt.js';

export type CryptScheme = 'sha512-crypt' | 'sha256-crypt' | 'bcrypt' | 'argon2' | 'yescrypt' | 'md5-crypt' | 'unknown';

/** Dovecot scheme prefixes (doc.dovecot.org "Password schemes") that a stored hash may carry. */
const DOVECOT_PREFIX = /^\{([A-Z0-9.-]+)\}/i;

/** The hash without a Dovecot `{SCHEME}` prefix, and the prefix's name (upper-case) if there was one. */
export function stripSchemePrefix(hash: string): { scheme: string | null; hash: string } {
  const m = DOVECOT_PREFIX.exec(hash);
  if (m === null) return { scheme: null, hash };
  return { scheme: (m[1] as string).toUpperCase(), hash: hash.slice(m[0].length) };
}

/** Which algorithm a crypt(3)-style string (after any `{SCHEME}` prefix) uses. */
export function cryptScheme(hash: string): CryptScheme {
  const h = stripSchemePrefix(hash).hash;
  if (h.startsWith('$6$')) return 'sha512-crypt';
  if (h.startsWith('$5$')) return 'sha256-crypt';
  if (/^\$2[aby]\$\d\d\$/.test(h)) return 'bcrypt';
  if (/^\$argon2(id|i|d)\$/.test(h)) return 'argon2';
  if (h.startsWith('$y$') || h.startsWith('$7$') || h.startsWith('$gy$')) return 'yescrypt';
  if (h.startsWith('$1$')) return 'md5-crypt';
  return 'unknown';
}

/** The schemes this process verifies (yescrypt only with the native addon). */
export function verifiableSchemes(): ReadonlySet<CryptScheme> {
  const out = new Set<CryptScheme>(['sha512-crypt', 'sha256-crypt', 'bcrypt', 'argon2']);
  if (loadXcrypt() !== null) out.add('yescrypt');
  return out;
}

/** True when `password` matches a SHA-crypt, bcrypt (or, with the addon, yescrypt) hash; false for every other scheme and on malformed input. */
export async function verifyCryptHash(password: string, hash: string): Promise<boolean> {
  const h = stripSchemePrefix(hash).hash;
  try {
    switch (cryptScheme(h)) {
      case 'sha512-crypt':
      case 'sha256-crypt':
        return shaCryptVerify(password, h);
      case 'bcrypt':
        return await bcryptCompare(password, h);
      case 'yescrypt':
        return await verifyWithXcrypt(password, h);
      default:
        return false;
    }
  } catch {
    return false;
  }
}
