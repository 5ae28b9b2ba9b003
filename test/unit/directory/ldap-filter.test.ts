import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeFilterValue, fillFilter } from '../../../src/directory/ldap-filter.js';

test('escapes the RFC 4515 specials so an injection cannot change the filter', () => {
  assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
  assert.equal(escapeFilterValue('a\\b\0c'), 'a\\5cb\\00c');
  assert.equal(fillFilter('(|(mail=%s)(mailAlternateAddress=%s))', '*)(uid=*'), '(|(mail=\\2a\\29\\28uid=\\2a)(mailAlternateAddress=\\2a\\29\\28uid=\\2a))');
});

test('leaves ordinary and UTF-8 addresses alone', () => {
  assert.equal(fillFilter('(mail=%s)', 'jöran.o+x@example.org'), '(mail=jöran.o+x@example.org)');
});

test('turns %% into a literal percent sign and keeps it out of the substitution', () => {
  assert.equal(fillFilter('(note=100%%)(mail=%s)', '%s'), '(note=100%)(mail=%s)');
});
