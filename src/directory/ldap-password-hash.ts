/**
 * Local verification of the password hashes an LDAP directory stores in userPassword, for
 * `ldap_password_check = "hash"` (the equivalent of Dovecot's LDAP passdb with auth_bind = no): the service
 * account reads the attribute and pochta checks the password against each value.
 *
 * Schemes (the `{NAME}` prefix is case-insensitive, as in RFC 2307 §5.3 and OpenLDAP):
 * - RFC 2307 / OpenLDAP digests: {SHA} (alias {SHA1}), {SSHA}, and pw-sha2's {SHA256}, {SSHA256},
 *   {SHA512}, {SSHA512}: base64(digest) or base64(digest + salt). As Dovecot does, an unsalted digest may
 *   also be hex, recognised by its length, and `.HEX` / `.B64` / `.BASE64` suffixes force an encoding.
 * - {CRYPT} and Dovecot's {SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT}: crypt(3) strings verified by
 *   crypt-hashes.ts ($6$, $5$, $2a$/$2b$/$2y$, and $y$ with the libxcrypt addon). DES and MD5 crypt are
 *   not verified (unsupported).
 * - {ARGON2I}, {ARGON2ID} (Dovecot) and {ARGON2} (OpenLDAP's argon2 module): PHC strings through argon2.
 * - {PLAIN}, {CLEARTEXT}, {CLEAR}: a password stored in clear but tagged as such. Dovecot verifies these
 *   with no extra setting, so pochta does too (the admin chose to store it so).
 * - A value without a prefix: Dovecot's LDAP default_pass_scheme is CRYPT, so it verifies only if it is a
 *   crypt string pochta understands; an untagged clear-text value is refused (unsupported), not compared.
 * - Anything else ({MD5}, {SMD5}, {PBKDF2}, {SASL}, malformed values): unsupported, which never verifies.
 *   The verdict names the scheme, never the hash, so that callers can log why a login was refused.
 *
 * Every comparison is constant-time: digests with timingSafeEqual, clear text via SHA-256 of both sides
 * (so the length does not leak either), crypt and argon2 inside their libraries.
 *
 * No side effects besides CPU time (SHA-crypt and bcrypt on the main thread, argon2 on the libuv pool).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { cryptScheme, stripSchemePrefix, verifiableSchemes } from './crypt-hashes.js';
import { verifyPassword } from './passwords.js';

export type StoredPasswordVerdict =
  | { kind: 'match' }
  | { kind: 'mismatch' }
  /** Never verifies; `scheme` names the scheme (and why) for logs, e.g. "{SMD5}" or "{CRYPT} (md5-crypt)". */
  | { kind: 'unsupported'; scheme: string };

interface Digest {
  algorithm: 'sha1' | 'sha256' | 'sha512';
  salted: boolean;
}

/** RFC 2307 {SHA}/{SSHA} and OpenLDAP contrib pw-sha2 (the same names Dovecot uses). */
const DIGESTS: ReadonlyMap<string, Digest> = new Map([
  ['SHA', { algorithm: 'sha1', salted: false }],
  ['SHA1', { algorithm: 'sha1', salted: false }],
  ['SSHA', { algorithm: 'sha1', salted: true }],
  ['SHA256', { algorithm: 'sha256', salted: false }],
  ['SSHA256', { algorithm: 'sha256', salted: true }],
  ['SHA512', { algorithm: 'sha512', salted: false }],
  ['SSHA512', { algorithm: 'sha512', salted: true }],
]);

const DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const;

/** Schemes whose value is a crypt(3) string (Dovecot names; {CRYPT} is RFC 2307 §5.3 / OpenLDAP). */
const CRYPT_SCHEMES: ReadonlySet<string> = new Set(['CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'MD5-CRYPT']);
const ARGON2_SCHEMES: ReadonlySet<string> = new Set(['ARGON2', 'ARGON2I', 'ARGON2ID']);
const CLEAR_SCHEMES: ReadonlySet<string> = new Set(['PLAIN', 'CLEARTEXT', 'CLEAR']);

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Checks `password` against one stored userPassword value. Never throws. */
export async function verifyStoredPassword(password: string, stored: string): Promise<StoredPasswordVerdict> {
  const { scheme, hash } = stripSchemePrefix(stored);
  if (scheme === null) return verifyCrypt(password, hash, 'no scheme (crypt assumed)');
  const dot = scheme.lastIndexOf('.');
  const name = dot > 0 ? scheme.slice(0, dot) : scheme;
  const encoding = dot > 0 ? scheme.slice(dot + 1) : '';
  const digest = DIGESTS.get(name);
  if (digest !== undefined) return verifyDigest(password, hash, digest, encoding, `{${scheme}}`);
  if (encoding !== '') return { kind: 'unsupported', scheme: `{${scheme}}` };
  if (CRYPT_SCHEMES.has(name)) return verifyCrypt(password, hash, `{${name}}`);
  if (ARGON2_SCHEMES.has(name)) {
    if (cryptScheme(hash) !== 'argon2') return { kind: 'unsupported', scheme: `{${name}} (malformed)` };
    return (await verifyPassword(password, hash)) ? { kind: 'match' } : { kind: 'mismatch' };
  }
  if (CLEAR_SCHEMES.has(name)) return sameBytes(sha256(password), sha256(hash)) ? { kind: 'match' } : { kind: 'mismatch' };
  return { kind: 'unsupported', scheme: `{${name}}` };
}

/**
 * Checks `password` against every value of a multi-valued userPassword (RFC 4519 §2.41): any one matching
 * is enough. `unsupported` lists the schemes of the values that could not be verified, for the log.
 */
export async function verifyAnyStoredPassword(password: string, stored: readonly string[]): Promise<{ ok: boolean; unsupported: string[] }> {
  const unsupported: string[] = [];
  for (const value of stored) {
    const v = await verifyStoredPassword(password, value);
    if (v.kind === 'match') return { ok: true, unsupported };
    if (v.kind === 'unsupported') unsupported.push(v.scheme);
  }
  return { ok: false, unsupported };
}

async function verifyCrypt(password: string, hash: string, label: string): Promise<StoredPasswordVerdict> {
  const kind = cryptScheme(hash);
  // argon2 has its own prefixes: a crypt-tagged PHC string is not what Dovecot or OpenLDAP would accept.
  if (kind === 'argon2' || !verifiableSchemes().has(kind)) return { kind: 'unsupported', scheme: `${label} (${kind})` };
  return (await verifyPassword(password, hash)) ? { kind: 'match' } : { kind: 'mismatch' };
}

function verifyDigest(password: string, encoded: string, d: Digest, encoding: string, label: string): StoredPasswordVerdict {
  const size = DIGEST_BYTES[d.algorithm];
  let raw: Buffer | null = null;
  if (encoding === 'HEX') raw = HEX.test(encoded) ? Buffer.from(encoded, 'hex') : null;
  else if (encoding === 'B64' || encoding === 'BASE64') raw = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : null;
  else if (encoding !== '') return { kind: 'unsupported', scheme: label };
  // Dovecot's default: base64, or hex when an unsalted digest has exactly the hex length.
  else if (!d.salted && encoded.length === size * 2 && HEX.test(encoded)) raw = Buffer.from(encoded, 'hex');
  else raw = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : null;
  // RFC 2307 §5.3 / OpenLDAP: {SSHA} = digest(password + salt) followed by the salt; a salt is at least 1 byte.
  if (raw === null || (d.salted ? raw.length <= size : raw.length !== size)) return { kind: 'unsupported', scheme: `${label} (malformed)` };
  const salt = raw.subarray(size);
  const computed = createHash(d.algorithm).update(password, 'utf8').update(salt).digest();
  return sameBytes(computed, raw.subarray(0, size)) ? { kind: 'match' } : { kind: 'mismatch' };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
