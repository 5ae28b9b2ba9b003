import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../../src/protocols/imap/proto/errors.js';
import { parseSearchProgram, type SearchKey } from '../../../../../src/protocols/imap/proto/search-ast.js';
import { Cursor } from '../../../../../src/protocols/imap/proto/tokenizer.js';

const search = (s: string, maxDepth?: number) => parseSearchProgram(new Cursor(Buffer.from(s)), { maxDepth });
const key = (s: string): SearchKey => search(s).key;
const isKind = (kind: string) => (e: unknown) => e instanceof ParseError && e.kind === kind;

test('parses every flag key', () => {
  assert.deepEqual(key('ANSWERED'), { kind: 'flag', flag: '\\Answered', present: true });
  assert.deepEqual(key('undeleted'), { kind: 'flag', flag: '\\Deleted', present: false });
  for (const k of ['DELETED', 'DRAFT', 'FLAGGED', 'SEEN', 'UNANSWERED', 'UNDRAFT', 'UNFLAGGED', 'UNSEEN']) {
    assert.equal(key(k).kind, 'flag', k);
  }
  assert.deepEqual(key('KEYWORD $Junk'), { kind: 'flag', flag: '$Junk', present: true });
  assert.deepEqual(key('UNKEYWORD foo'), { kind: 'flag', flag: 'foo', present: false });
});

test('parses NEW, OLD, RECENT and ALL', () => {
  assert.deepEqual(key('NEW'), {
    kind: 'and',
    keys: [{ kind: 'recent', present: true }, { kind: 'flag', flag: '\\Seen', present: false }],
  });
  assert.deepEqual(key('OLD'), { kind: 'recent', present: false });
  assert.deepEqual(key('RECENT'), { kind: 'recent', present: true });
  assert.deepEqual(key('ALL'), { kind: 'all' });
});

test('parses address, header and text keys with astrings', () => {
  assert.deepEqual(key('FROM "Smith"'), { kind: 'header', field: 'from', value: 'Smith' });
  assert.deepEqual(key('BCC x CC y TO z SUBJECT {5}\r\nhello'), {
    kind: 'and',
    keys: [
      { kind: 'header', field: 'bcc', value: 'x' },
      { kind: 'header', field: 'cc', value: 'y' },
      { kind: 'header', field: 'to', value: 'z' },
      { kind: 'header', field: 'subject', value: 'hello' },
    ],
  });
  assert.deepEqual(key('HEADER X-Spam yes'), { kind: 'header', field: 'X-Spam', value: 'yes' });
  assert.deepEqual(key('BODY "dé"'), { kind: 'body', value: 'dé' });
  assert.deepEqual(key('TEXT ""'), { kind: 'text', value: '' });
});

test('parses date keys, quoted or not', () => {
  assert.deepEqual(key('SINCE 1-Feb-1994'), { kind: 'date', field: 'internal', op: 'since', day: { year: 1994, month: 2, day: 1 } });
  assert.deepEqual(key('SENTBEFORE "21-Dec-2020"').kind, 'date');
  for (const k of ['BEFORE', 'ON', 'SENTON', 'SENTSINCE']) assert.equal(key(`${k} 1-Jan-2000`).kind, 'date');
  assert.throws(() => key('SINCE 31-Feb-1994'), isKind('invalid-date'));
});

test('parses sizes, sets, UID and MODSEQ', () => {
  assert.deepEqual(key('LARGER 1000'), { kind: 'size', op: 'larger', size: 1000 });
  assert.deepEqual(key('SMALLER 5'), { kind: 'size', op: 'smaller', size: 5 });
  assert.deepEqual(key('1:3,*'), { kind: 'seq', set: { kind: 'ranges', ranges: [{ from: 1, to: 3 }, { from: '*', to: '*' }] } });
  assert.deepEqual(key('UID $'), { kind: 'uid', set: { kind: 'saved' } });
  assert.deepEqual(key('MODSEQ 620162338'), { kind: 'modseq', modseq: 620162338, entry: null });
  assert.deepEqual(key('MODSEQ "/flags/\\\\draft" all 620162338'), {
    kind: 'modseq',
    modseq: 620162338,
    entry: { name: '/flags/\\draft', type: 'all' },
  });
  assert.deepEqual(key('OLDER 3600'), { kind: 'age', op: 'older', seconds: 3600 });
});

test('parses NOT, OR and parenthesised lists', () => {
  assert.deepEqual(key('NOT SEEN'), { kind: 'not', key: { kind: 'flag', flag: '\\Seen', present: true } });
  assert.deepEqual(key('OR (SEEN FLAGGED) TO x'), {
    kind: 'or',
    left: { kind: 'and', keys: [{ kind: 'flag', flag: '\\Seen', present: true }, { kind: 'flag', flag: '\\Flagged', present: true }] },
    right: { kind: 'header', field: 'to', value: 'x' },
  });
  assert.deepEqual(key('(1:2)'), { kind: 'seq', set: { kind: 'ranges', ranges: [{ from: 1, to: 2 }] } });
});

test('limits nesting depth', () => {
  assert.throws(() => search('('.repeat(40) + 'ALL' + ')'.repeat(40)), isKind('too-deep'));
  assert.throws(() => search('NOT '.repeat(40) + 'ALL'), isKind('too-deep'));
  assert.equal(search('((ALL))', 5).key.kind, 'all');
});

test('rejects unbalanced parentheses and quotes', () => {
  assert.throws(() => search('(SEEN'), isKind('syntax'));
  assert.throws(() => search('SEEN)'), isKind('syntax'));
  assert.throws(() => search('FROM "Smith'), isKind('syntax'));
  assert.throws(() => search('OR SEEN'), isKind('syntax'));
  assert.throws(() => search('BOGUS'), isKind('syntax'));
  assert.throws(() => search(''), isKind('syntax'));
});

test('accepts UTF-8 and US-ASCII charsets and rejects others with BADCHARSET', () => {
  assert.equal(search('CHARSET utf-8 ALL').charset, 'UTF-8');
  assert.equal(search('CHARSET "US-ASCII" ALL').charset, 'US-ASCII');
  assert.throws(
    () => search('CHARSET ISO-8859-1 FROM x'),
    (e: unknown) => e instanceof ParseError && e.kind === 'bad-charset' && e.status === 'NO' && e.code === 'BADCHARSET (UTF-8 US-ASCII)',
  );
});

test('invalid UTF-8 in a search string is a ParseError', () => {
  assert.throws(() => parseSearchProgram(new Cursor(Buffer.from([0x42, 0x4f, 0x44, 0x59, 0x20, 0x7b, 0x31, 0x7d, 0x0d, 0x0a, 0xff]))), isKind('invalid-utf8'));
});
