import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPasswordStrength, hashPassword, verifyPassword } from '../../../src/directory/passwords.js';

test('hashes with argon2id and verifies the right password', async () => {
  const hash = await hashPassword('correct horse battery');
  assert.match(hash, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
  assert.equal(await verifyPassword('correct horse battery', hash), true);
});

test('refuses a wrong password', async () => {
  const hash = await hashPassword('correct horse battery');
  assert.equal(await verifyPassword('correct horse batterY', hash), false);
  assert.equal(await verifyPassword('', hash), false);
});

test('gives a fresh salt to every hash', async () => {
  assert.notEqual(await hashPassword('same password'), await hashPassword('same password'));
});

test('answers false for unknown schemes and malformed hashes instead of throwing', async () => {
  assert.equal(await verifyPassword('x', '{SHA512-CRYPT}$6$salt$abc'), false); // a malformed SHA-512-crypt hash
  assert.equal(await verifyPassword('x', '$argon2id$garbage'), false);
  assert.equal(await verifyPassword('x', ''), false);
  assert.equal(await verifyPassword('x', 'x'), false);
});

test('accepts a reasonable password', () => {
  assert.equal(checkPasswordStrength('tulip-Oven-93-river'), null);
});

test('names the reason a password is weak', () => {
  assert.match(checkPasswordStrength('') ?? '', /empty/);
  assert.match(checkPasswordStrength('abc123') ?? '', /shorter than 8/);
  assert.match(checkPasswordStrength('aaaaaaaaaaaa') ?? '', /single character/);
  assert.match(checkPasswordStrength('Password123') ?? '', /most common/);
  assert.match(checkPasswordStrength('qwertyuiop') ?? '', /most common/);
});

test('counts characters, not UTF-16 units, for the length rule', () => {
  // 7 emoji are 14 UTF-16 units but 7 characters.
  assert.match(checkPasswordStrength('😀😁😂🤣😃😄😅') ?? '', /shorter than 8/);
});
