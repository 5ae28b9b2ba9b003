import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineReference, matchListPattern, patternMayMatchChildren } from '../../../../../src/protocols/imap/proto/list-pattern.js';

test('* matches across levels and % within one level', () => {
  assert.equal(matchListPattern('*', 'a/b/c'), true);
  assert.equal(matchListPattern('%', 'a'), true);
  assert.equal(matchListPattern('%', 'a/b'), false);
  assert.equal(matchListPattern('a/%', 'a/b'), true);
  assert.equal(matchListPattern('a/%', 'a/b/c'), false);
  assert.equal(matchListPattern('a/*', 'a/b/c'), true);
  assert.equal(matchListPattern('a*c', 'abc'), true);
  assert.equal(matchListPattern('a%c', 'ab/c'), false);
});

test('exact names match only themselves', () => {
  assert.equal(matchListPattern('Sent', 'Sent'), true);
  assert.equal(matchListPattern('Sent', 'sent'), false);
  assert.equal(matchListPattern('', 'x'), false);
});

test('INBOX matches case-insensitively', () => {
  assert.equal(matchListPattern('inbox', 'INBOX'), true);
  assert.equal(matchListPattern('Inbox/%', 'INBOX/x'), true);
});

test('pathological patterns stay fast', () => {
  const t0 = Date.now();
  assert.equal(matchListPattern('*%*%*%*%*%*%*%*%*%*%*%*%*%*%b', 'a'.repeat(2000)), false);
  assert.ok(Date.now() - t0 < 1000);
});

test('combines the reference and the pattern', () => {
  assert.equal(combineReference('', 'a/%'), 'a/%');
  assert.equal(combineReference('a', '%'), 'a/%');
  assert.equal(combineReference('a/', '%'), 'a/%');
  assert.equal(combineReference('a', '/x'), '/x');
});

test('knows when children of a name could match', () => {
  assert.equal(patternMayMatchChildren('a/%', 'a'), true);
  assert.equal(patternMayMatchChildren('%', 'a'), false);
  assert.equal(patternMayMatchChildren('*', 'a'), true);
  assert.equal(patternMayMatchChildren('a/', 'a'), false);
  assert.equal(patternMayMatchChildren('b/%', 'a'), false);
});
