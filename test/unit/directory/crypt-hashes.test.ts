/** Hashes below were made by libxcrypt (python3's crypt module) and Dovecot-style prefixes added. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cryptScheme, verifyCryptHash } from '../../../src/directory/crypt-hashes.js';
import { externalPasswordMarker, needsRehash, verifyPassword } from '../../../src/directory/passwords.js';

const SHA512 = '$6$CmYPnOulLnFOa9as$gDiHw3p3KVC7arbNSSDJfRzDLXEGr8JaSp7sLa9.uoE6y./3UW/Ut55uJU1EttJxA43mnE8jiXXugbSn9qwAv0'; // old-secret-1
const SHA512_ROUNDS = '$6$rounds=5000$saltsaltsalt1234$Btvim1k672PliI1Iq3aJmNurH07NeXq1cdXidsflmvR6g4012XkcYqXKfx0sNGtfLDUOmrakQ8cjyntrQooob0'; // old-secret-1
const SHA256 = '$5$XahmNz.oh.bvlf0N$KoYJG5tOXRJXoaPz4noGd/jcXEdO/0CpYfEzIgDNXn5'; // old-secret-2
const BCRYPT = '$2b$12$3G7TbI2iFPVcCM31bRMMm.qhr/GGbhvMahfbnPDp9X/QrWwfBuCdG'; // old-secret-3

test('verifies SHA-512-crypt, SHA-256-crypt and bcrypt hashes made by libxcrypt', async () => {
  assert.equal(await verifyCryptHash('old-secret-1', SHA512), true);
  assert.equal(await verifyCryptHash('old-secret-1', SHA512_ROUNDS), true);
  assert.equal(await verifyCryptHash('old-secret-2', SHA256), true);
  assert.equal(await verifyCryptHash('old-secret-3', BCRYPT), true);
  assert.equal(await verifyCryptHash('old-secret-3', BCRYPT.replace('$2b$', '$2y$')), true);
});

test('refuses wrong passwords', async () => {
  assert.equal(await verifyCryptHash('old-secret-2', SHA512), false);
  assert.equal(await verifyCryptHash('old-secret-1', SHA256), false);
  assert.equal(await verifyCryptHash('old-secret-1', BCRYPT), false);
});

test('answers false, without throwing, for yescrypt, md5-crypt and garbage', async () => {
  assert.equal(cryptScheme('$y$j9T$abc$def'), 'yescrypt');
  assert.equal(await verifyCryptHash('x', '$y$j9T$abc$def'), false);
  assert.equal(await verifyCryptHash('x', '$1$abc$def'), false);
  assert.equal(await verifyCryptHash('x', '$6$'), false);
  assert.equal(await verifyCryptHash('x', ''), false);
});

test('verifyPassword understands the Dovecot scheme prefixes kept by pochta import users', async () => {
  assert.equal(await verifyPassword('old-secret-1', `{SHA512-CRYPT}${SHA512}`), true);
  assert.equal(await verifyPassword('old-secret-2', `{SHA256-CRYPT}${SHA256}`), true);
  assert.equal(await verifyPassword('old-secret-3', `{BLF-CRYPT}${BCRYPT}`), true);
  assert.equal(await verifyPassword('old-secret-1', `{CRYPT}${SHA512}`), true);
  assert.equal(await verifyPassword('old-secret-1', SHA512), true);
  // A mismatched or unknown prefix never verifies.
  assert.equal(await verifyPassword('old-secret-1', `{PLAIN}old-secret-1`), false);
  assert.equal(await verifyPassword('old-secret-1', `{SSHA}${SHA512}`), false);
});

test('an external-password marker never verifies, and imported hashes ask for a rehash', async () => {
  assert.equal(await verifyPassword('', externalPasswordMarker('ldap')), false);
  assert.equal(await verifyPassword('{EXTERNAL}ldap', externalPasswordMarker('ldap')), false);
  assert.equal(needsRehash(`{SHA512-CRYPT}${SHA512}`), true);
  assert.equal(needsRehash('$argon2id$v=19$m=19456,t=2,p=1$x$y'), false);
});
