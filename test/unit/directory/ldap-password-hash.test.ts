/**
 * Stored userPassword values verified locally (ldap_password_check = "hash"): one known vector per scheme,
 * each made by the real tools for the password "secret" and pasted here:
 *   slappasswd -h '{SSHA}' -s secret, slappasswd -h '{SHA}' -s secret,
 *   slappasswd -h '{CRYPT}' -c '$6$%.16s' -s secret (and '$5$%.16s'),
 *   slappasswd -o module-load=/usr/lib/ldap/pw-sha2.so -h '{SSHA256}' (and {SSHA512}, {SHA256}, {SHA512}) -s secret,
 *   slappasswd -o module-load=/usr/lib/ldap/argon2.so -h '{ARGON2}' -s secret,
 *   doveadm pw -s <SCHEME> -p secret for the Dovecot names (SSHA256, SSHA512, SHA512-CRYPT, SHA256-CRYPT,
 *   BLF-CRYPT, ARGON2I, ARGON2ID, CRYPT, PLAIN, CLEARTEXT, MD5, SMD5),
 *   python3 hashlib.sha256(b'secret').hexdigest() for the hex form.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadXcrypt } from '../../../src/directory/xcrypt.js';
import { verifyAnyStoredPassword, verifyStoredPassword } from '../../../src/directory/ldap-password-hash.js';

const SECRET: Record<string, string> = {
  'slappasswd {SSHA}': '{SSHA}5EVEgC8Lqb8VrWLUtl2HDdaKdLy/J8wD',
  'doveadm {SSHA}': '{SSHA}TB/aQEbi62UK01VCBRb1ABQPf+/gywU7',
  'slappasswd {SHA}': '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=',
  'slappasswd {SSHA256}': '{SSHA256}291uV4F3V5du2LrGdHfUyelUizs+O3J0wnRk2V5hK59dvCmxnPJFkA==',
  'doveadm {SSHA256}': '{SSHA256}GK9udAma8bQVIMpNKjKDWyd2y6U9JHCwAwhApOHu4MZm8+wE',
  'slappasswd {SSHA512}': '{SSHA512}+A5f8jEcx3TF+YR7UaHaKlgt3p8Ooxl4HJLOOpAhfPC6ctZI71qRP4e4ICuyXWSGNUoZ4odAPhmSqned3lo+4zjV9m3ZaHt/',
  'doveadm {SSHA512}': '{SSHA512}MV4j6NGb88HivKxUXgEVXGcEzZJ5+iczfhwsYK0BXeWMHBUgwH6F1v7zIhAsUNAEhTATEaQLC3J4iwiJ4kzeusiquG0=',
  'slappasswd {SHA256}': '{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=',
  'slappasswd {SHA512}': '{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==',
  '{SHA256} in hex (Dovecot accepts it by length)': '{SHA256}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b',
  '{SHA.HEX}': '{SHA.HEX}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4',
  'lower-case scheme {ssha}': '{ssha}5EVEgC8Lqb8VrWLUtl2HDdaKdLy/J8wD',
  'slappasswd {CRYPT}$6$': '{CRYPT}$6$QFSwbLfbcTR5F2PQ$d8e8xkuAFNJS7Y6eAPHLmnBK41ZfglGWuriy3/sWHbLaXIRpUpZUBoltCriebFRrvaCIO5upNB33KU56r5KHR/',
  'slappasswd {CRYPT}$5$': '{CRYPT}$5$Db81L8iY89dH9kv1$Bd1U3FrZNiWVxhXcaQb3dzjrPUcFhdFr.fHxjkXwOpD',
  'doveadm {CRYPT} (bcrypt)': '{CRYPT}$2y$05$mrlBqMAwJss8k7g.NCrB3.27vRU3VcFuxWV539kmPU0.kayWpnxUS',
  'doveadm {SHA512-CRYPT}': '{SHA512-CRYPT}$6$fghhwXuEQm1QTmHO$kyUgoXZEEwFRUgcJPx.lmkgWKFayNZWlvaVLjJfPtPfV0LEt0Lb/mnM3wHXW0z.oZVulwC6SVNELz8m3w.7Te.',
  'doveadm {SHA256-CRYPT}': '{SHA256-CRYPT}$5$VH3.krKjWC582SnW$/sX4z5bFe6wv80XTz0ykLmYTmmpKAStU6VEsJ7URoT3',
  'doveadm {BLF-CRYPT}': '{BLF-CRYPT}$2y$05$0kemJ9ihKtpJ5M0wrFe.J.YiEV9J7wmYJZHgwIHwuqc030p864AX2',
  'doveadm {ARGON2I}': '{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$ABCmsxnumIz9Kf4cIkB3xg$CMWHu3N82z42DRyLkoNL9UNwj0VnLxa0H4j9ZIUNiCE',
  'doveadm {ARGON2ID}': '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$ovMC1XR+TjQCDmZlc6oHNg$UhiWRpnm0gzXuJ54vLfuMwFXfbUXIWQRTkz2g4Nxnt4',
  'slappasswd {ARGON2}': '{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$CYpYqEQXUiJLVTu9qvc/XQ$NKWT2Cr7nnaWHWQAgl1JxwYVm1ADzbzDmJ10aKptunE',
  'bare $6$ (Dovecot default_pass_scheme = CRYPT)': '$6$QFSwbLfbcTR5F2PQ$d8e8xkuAFNJS7Y6eAPHLmnBK41ZfglGWuriy3/sWHbLaXIRpUpZUBoltCriebFRrvaCIO5upNB33KU56r5KHR/',
  'doveadm {PLAIN}': '{PLAIN}secret',
  'doveadm {CLEARTEXT}': '{CLEARTEXT}secret',
};

for (const [name, stored] of Object.entries(SECRET)) {
  test(`${name} verifies "secret" and refuses another password`, async () => {
    assert.deepEqual(await verifyStoredPassword('secret', stored), { kind: 'match' });
    assert.deepEqual(await verifyStoredPassword('Secret', stored), { kind: 'mismatch' });
    assert.deepEqual(await verifyStoredPassword('', stored), { kind: 'mismatch' });
  });
}

test('{CRYPT} yescrypt verifies with the libxcrypt addon, and is unsupported without it', async (t) => {
  // chpasswd on Debian 12 for "yes-secret-7" (the vector of xcrypt.test.ts).
  const stored = '{CRYPT}$y$j9T$GsTj4JClRgfCK7TU5gYLP1$0Bnxrzc3GyfNE0c6wvQp..O64E.SnpCBc6eqF8QZ69/';
  if (loadXcrypt() === null) {
    assert.equal((await verifyStoredPassword('yes-secret-7', stored)).kind, 'unsupported');
    t.skip('build/xcrypt.node is not built');
    return;
  }
  assert.deepEqual(await verifyStoredPassword('yes-secret-7', stored), { kind: 'match' });
  assert.deepEqual(await verifyStoredPassword('yes-secret-8', stored), { kind: 'mismatch' });
});

test('unknown and unverifiable schemes are unsupported, named without the hash', async () => {
  const cases: Array<[string, string]> = [
    ['{SMD5}XbkUNtuyeXHGUAKkJi+PsLL+nQs=', '{SMD5}'],
    ['{MD5}$1$MwaZ.6fC$OPRUhPM3WJCS6XujEKFrv.', '{MD5}'],
    ['{PBKDF2}$1$abc$def', '{PBKDF2}'],
    ['{CRYPT}t7bBTKucI1UzE', '{CRYPT} (unknown)'], // slappasswd's DES crypt
    ['{CRYPT}$1$MwaZ.6fC$OPRUhPM3WJCS6XujEKFrv.', '{CRYPT} (md5-crypt)'],
    ['secret', 'no scheme (crypt assumed) (unknown)'], // clear text without a prefix is not compared
    ['{SSHA}5EVEgC8Lqb8Vr', '{SSHA} (malformed)'], // shorter than a SHA-1 digest
    ['{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=garbage!', '{SHA} (malformed)'],
    ['{ARGON2ID}$6$QFSwbLfbcTR5F2PQ$x', '{ARGON2ID} (malformed)'],
    ['{SHA256.ROT13}abc', '{SHA256.ROT13}'],
  ];
  for (const [stored, scheme] of cases) {
    const v = await verifyStoredPassword('secret', stored);
    assert.deepEqual(v, { kind: 'unsupported', scheme }, stored);
    assert.ok(!scheme.includes(stored.slice(stored.indexOf('}') + 1)), 'the name holds no part of the hash');
  }
});

test('a multi-valued userPassword verifies when any one value matches', async () => {
  const values = ['{SMD5}XbkUNtuyeXHGUAKkJi+PsLL+nQs=', '{SSHA}5EVEgC8Lqb8VrWLUtl2HDdaKdLy/J8wD', '{PLAIN}other-password'];
  assert.equal((await verifyAnyStoredPassword('secret', values)).ok, true);
  assert.equal((await verifyAnyStoredPassword('other-password', values)).ok, true);
  assert.deepEqual(await verifyAnyStoredPassword('wrong', values), { ok: false, unsupported: ['{SMD5}'] });
  assert.deepEqual(await verifyAnyStoredPassword('secret', []), { ok: false, unsupported: [] });
});

test('non-ASCII passwords are hashed as UTF-8, as slappasswd and doveadm do', async () => {
  // doveadm pw -s SSHA256 -p 'pässwörd' (typed in a UTF-8 terminal).
  const PASSWORD_UTF8 = '{SSHA256}Jep25ovPKbfloRQR7sdm8po5hgruxlNfrY6GvbctyyXhY2Cr';
  assert.deepEqual(await verifyStoredPassword('pässwörd', PASSWORD_UTF8), { kind: 'match' });
  assert.deepEqual(await verifyStoredPassword('passwort', PASSWORD_UTF8), { kind: 'mismatch' });
});
