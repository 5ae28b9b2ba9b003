import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../../src/protocols/imap/proto/errors.js';
import {
  fromWireMailbox,
  mailboxAncestors,
  normalizeInbox,
  toWireMailbox,
  validateNewMailboxName,
} from '../../../../../src/protocols/imap/proto/mailbox-name.js';

const invalid = (e: unknown) => e instanceof ParseError && e.kind === 'invalid-mailbox';

test('INBOX is case-insensitive, including as a parent', () => {
  assert.equal(normalizeInbox('inbox'), 'INBOX');
  assert.equal(normalizeInbox('InBoX/Sub'), 'INBOX/Sub');
  assert.equal(normalizeInbox('inboxes'), 'inboxes');
});

test('decodes wire names as mUTF-7 unless UTF8=ACCEPT', () => {
  assert.equal(fromWireMailbox('Entw&APw-rfe'), 'Entwürfe');
  assert.equal(fromWireMailbox('A&B', { utf8: true }), 'A&B');
  assert.equal(toWireMailbox('Entwürfe'), 'Entw&APw-rfe');
  assert.equal(toWireMailbox('Entwürfe', { utf8: true }), 'Entwürfe');
});

test('accepts ordinary names for CREATE', () => {
  for (const ok of ['Archive', 'Archive/2024', 'a b/c.d', 'Entwürfe', '...x']) validateNewMailboxName(ok);
});

test('rejects empty levels, dot levels, wildcards and control characters', () => {
  for (const bad of ['', 'a//b', '/a', 'a/', 'a/../b', '..', '.', 'a/./b', 'a%', 'b*c', 'x\u0001y', 'x\u007fy', 'x\ny']) {
    assert.throws(() => validateNewMailboxName(bad), invalid, JSON.stringify(bad));
  }
});

test('lists ancestors', () => {
  assert.deepEqual(mailboxAncestors('a/b/c'), ['a', 'a/b']);
  assert.deepEqual(mailboxAncestors('a'), []);
});
