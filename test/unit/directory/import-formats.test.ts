import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectAliasFormat, parseAliasesFile, parseDovecotPasswdFile, parseVirtualTable } from '../../../src/directory/import-formats.js';

test('parses a Dovecot passwd-file: keeps crypt and argon2 hashes, hashes {PLAIN} later, skips the rest', () => {
  const text = [
    '# comment',
    'a@x.example:{SHA512-CRYPT}$6$s$h:1:1::/h::userdb_quota_rule=*:storage=512M',
    'b:{BLF-CRYPT}$2y$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234:1:1::/h::',
    'c@x.example:{PLAIN}clear pw:::',
    'd@x.example:{SSHA}abc:::',
    'e@x.example:$y$j9T$a$b:::',
    'f@x.example::::',
    '',
  ].join('\n');
  const r = parseDovecotPasswdFile(text, { domain: 'X.example' });
  assert.deepEqual(
    r.users.map((u) => [u.line, u.address, u.passwordHash, u.clear, u.quotaBytes]),
    [
      [2, 'a@x.example', '{SHA512-CRYPT}$6$s$h', null, 512 * 1024 * 1024],
      [3, 'b@x.example', '{BLF-CRYPT}$2y$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234', null, 0],
      [4, 'c@x.example', null, 'clear pw', 0],
    ],
  );
  assert.deepEqual(r.skipped.map((s) => [s.line, s.reason]), [
    [5, 'password scheme {SSHA} cannot be verified by pochta'],
    [6, 'password hash (yescrypt) cannot be verified by pochta'],
    [7, 'no password'],
  ]);
});

test('a user name without a domain needs --domain', () => {
  const r = parseDovecotPasswdFile('bob:$6$s$h:::');
  assert.equal(r.users.length, 0);
  assert.match(r.skipped[0]?.reason ?? '', /--domain/);
});

test('parses aliases(5) with continuation lines, quotes and unsupported targets', () => {
  const text = 'postmaster: root\nlist: a, "b",\n  c@remote.example\nrun: "|/bin/cmd, arg"\nfile: /var/log/x\ninc: :include:/etc/list\n';
  const r = parseAliasesFile(text, { domain: 'd.example' });
  assert.deepEqual(r.aliases.map((a) => [a.address, a.targets]), [
    ['postmaster@d.example', ['root@d.example']],
    ['list@d.example', ['a@d.example', 'b@d.example', 'c@remote.example']],
  ]);
  assert.equal(r.skipped.length, 3);
});

test('parses a Postfix virtual table: aliases, catch-all, virtual alias domains', () => {
  const text = 'v.example  anything\ninfo@v.example  a@v.example, b@remote.example\n@v.example  a@v.example\nbare  a@v.example\n';
  const r = parseVirtualTable(text, { domain: 'v.example' });
  assert.deepEqual(r.domains, ['v.example']);
  assert.deepEqual(r.aliases.map((a) => [a.address, a.targets]), [
    ['info@v.example', ['a@v.example', 'b@remote.example']],
    ['bare@v.example', ['a@v.example']],
  ]);
  assert.deepEqual(r.catchAll, [{ line: 3, domain: 'v.example', target: 'a@v.example' }]);
});

test('guesses the alias file format', () => {
  assert.equal(detectAliasFormat('# x\nroot: bob\n'), 'aliases');
  assert.equal(detectAliasFormat('info@x.example bob@x.example\n'), 'virtual');
});
