/**
 * Password hashing, verification and a minimal strength check.
 *
 * - New hashes are argon2id PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), the @node-rs/argon2
 *   defaults (OWASP's minimum recommendation). One hash or verify costs about 60-70 ms on the libuv pool,
 *   so callers that verify often (IMAP LOGIN) go through the Directory's verified-credential cache.
 * - verifyPassword never throws on a malformed or foreign hash: it answers false. Besides argon2 it verifies
 *   the hashes kept by `pochta import users` (crypt-hashes.ts): Dovecot `{SHA512-CRYPT}`, `{SHA256-CRYPT}`,
 *   `{BLF-CRYPT}`, `{ARGON2ID}` and the bare `$6$`, `$5$`, `$2b$` forms. `needsRehash` says which stored hashes
 *   the directory replaces by a fresh argon2id hash after the next successful login.
 * - `{EXTERNAL}...` marks an account whose password lives in another directory (LDAP, system): it never
 *   verifies here.
 * - The comparison of digests is done inside argon2's verify (constant time).
 *
 * No side effects besides CPU time on the libuv thread pool.
 */

import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { stripSchemePrefix, verifyCryptHash } from './crypt-hashes.js';

/** Hashes a password with argon2id (the library default algorithm) and a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  // The library's default algorithm is Argon2id (m=19456 KiB, t=2, p=1); `Algorithm` is an ambient const
  // enum that isolatedModules cannot reference, so the default is relied on and asserted below.
  const phc = await argon2Hash(password);
  if (!phc.startsWith('$argon2id$')) throw new Error(`argon2 produced an unexpected scheme: ${phc.slice(0, 12)}`);
  return phc;
}

/** True when `password` matches `hash`. Unknown or malformed schemes give false, never an exception. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const { scheme, hash: bare } = stripSchemePrefix(hash);
  if (scheme !== null && !KNOWN_PREFIXES.has(scheme)) return false; // {PLAIN}, {EXTERNAL}, {MD5}, ...
  if (!/^\$argon2(id|i|d)\$/.test(bare)) return verifyCryptHash(password, bare);
  try {
    return await argon2Verify(bare, password);
  } catch {
    return false;
  }
}

/** Dovecot scheme prefixes whose hashes verifyPassword understands (the hash after the prefix says the rest). */
const KNOWN_PREFIXES: ReadonlySet<string> = new Set([
  'SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'CRYPT', 'ARGON2ID', 'ARGON2I',
]);

/** True for a stored hash that is not a bare argon2id PHC string: replace it after the next successful login. */
export function needsRehash(hash: string): boolean {
  return !hash.startsWith('$argon2id$');
}

/** The passwordHash of an account whose password another directory checks (`{EXTERNAL}ldap`, `{EXTERNAL}system`). */
export function externalPasswordMarker(source: string): string {
  return `{EXTERNAL}${source}`;
}

/** True when the account's password lives in another directory (see externalPasswordMarker). */
export function isExternalPassword(hash: string): boolean {
  return hash.startsWith('{EXTERNAL}');
}

/** The most common passwords of public breach corpora (lower-case); refused whatever their length. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '12345678', '123456789', '1234567890', '0123456789', '87654321', '11111111', '00000000', '12341234',
  '11223344', '12121212', '123123123', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', 'qwertyui', 'qwertyuiop',
  'qwerty123', 'qwerty12', 'asdfghjk', 'asdfghjkl', 'zxcvbnm1', 'password', 'password1', 'password12',
  'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'iloveyou', 'princess', 'sunshine', 'football',
  'baseball', 'superman', 'starwars', 'trustno1', 'whatever', 'welcome1', 'welcome123', 'letmein1',
  'letmein123', 'master12', 'changeme', 'changeme1', 'admin123', 'administrator', 'abc12345', 'abcd1234',
  'abcdefgh', 'computer', 'internet', 'michael1', 'jennifer', 'dragon12', 'monkey12', 'shadow12',
  'secret12', 'secret123', 'default1', 'mustang1', 'access14', 'q1w2e3r4', 'a1b2c3d4', 'zaq12wsx',
  'qazwsxedc', 'aa123456', 'test1234', 'testtest', 'mypassword', 'postmaster', 'mailserver',
]);

/**
 * Returns null when the password is acceptable, otherwise a one-line reason. Whether the password equals
 * the account's local part is checked by callers, which know the address.
 */
export function checkPasswordStrength(password: string): string | null {
  if (password.length === 0) return 'the password is empty';
  // Count code points, not UTF-16 units, so that a non-BMP character counts once.
  const chars = [...password];
  if (chars.length < 8) return 'the password is shorter than 8 characters';
  if (chars.every((c) => c === chars[0])) return 'the password repeats a single character';
  if (COMMON_PASSWORDS.has(password.toLowerCase())) return 'the password is one of the most common passwords';
  return null;
}
