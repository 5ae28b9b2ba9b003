import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../../src/protocols/imap/proto/errors.js';
import {
  compressNumbers,
  exceedsSequenceNumbers,
  formatSequenceSet,
  parseSequenceSet,
  resolveSequenceNumbers,
  resolveUidIndexes,
  resolveUids,
  sequenceSetContains,
} from '../../../../../src/protocols/imap/proto/sequence-set.js';

const isKind = (kind: string) => (e: unknown) => e instanceof ParseError && e.kind === kind;

test('parses ranges, single numbers and star', () => {
  assert.deepEqual(parseSequenceSet('1:4,7,9:*'), {
    kind: 'ranges',
    ranges: [{ from: 1, to: 4 }, { from: 7, to: 7 }, { from: 9, to: '*' }],
  });
});

test('parses $ as the saved search result', () => {
  assert.deepEqual(parseSequenceSet('$'), { kind: 'saved' });
  assert.throws(() => parseSequenceSet('$', { allowSaved: false }), isKind('invalid-sequence-set'));
});

test('accepts the largest number and rejects 4294967296', () => {
  assert.deepEqual(parseSequenceSet('4294967295'), { kind: 'ranges', ranges: [{ from: 4294967295, to: 4294967295 }] });
  assert.throws(() => parseSequenceSet('1:4294967296'), isKind('invalid-sequence-set'));
  assert.throws(() => parseSequenceSet('99999999999999999999'), isKind('invalid-sequence-set'));
});

test('rejects zero, leading zeros, empty pieces and junk', () => {
  for (const bad of ['0', '0:5', '01', '1,,2', '1:', ':3', '', '1:2:3', 'a', '1-3', '*1']) {
    assert.throws(() => parseSequenceSet(bad), isKind('invalid-sequence-set'), bad);
  }
});

test('*:* is legal and means the last message', () => {
  const set = parseSequenceSet('*:*');
  assert.deepEqual(resolveSequenceNumbers(set, 10), [[10, 10]]);
});

test('resolves against a mailbox size with ranges, reversed and clipped', () => {
  assert.deepEqual(resolveSequenceNumbers(parseSequenceSet('5:2,9:*,3'), 10), [[2, 5], [9, 10]]);
  assert.deepEqual(resolveSequenceNumbers(parseSequenceSet('8:20'), 10), [[8, 10]]);
  assert.deepEqual(resolveSequenceNumbers(parseSequenceSet('1:*'), 0), []);
});

test('resolving 1:4294967295 does not materialise numbers', () => {
  const t0 = Date.now();
  assert.deepEqual(resolveSequenceNumbers(parseSequenceSet('1:4294967295'), 4294967295), [[1, 4294967295]]);
  assert.ok(Date.now() - t0 < 100);
});

test('flags sequence numbers beyond the mailbox', () => {
  assert.equal(exceedsSequenceNumbers(parseSequenceSet('1:5'), 4), true);
  assert.equal(exceedsSequenceNumbers(parseSequenceSet('1:*'), 4), false);
});

test('resolves a UID set against sorted UIDs by binary search', () => {
  const uids = [3, 5, 9, 10, 20];
  assert.deepEqual(resolveUidIndexes(parseSequenceSet('4:10'), uids), [[1, 3]]);
  assert.deepEqual(resolveUids(parseSequenceSet('1:3,20'), uids), [3, 20]);
  assert.deepEqual(resolveUids(parseSequenceSet('6:8'), uids), []);
});

test('UID n:* includes the last UID even when n is higher (RFC 3501 §6.4.8)', () => {
  assert.deepEqual(resolveUids(parseSequenceSet('559:*'), [3, 5, 9]), [9]);
  assert.deepEqual(resolveUids(parseSequenceSet('559:*'), []), []);
});

test('UID 1:4294967295 over many UIDs is fast', () => {
  const uids = Array.from({ length: 100000 }, (_, i) => i * 3 + 1);
  assert.deepEqual(resolveUidIndexes(parseSequenceSet('1:4294967295'), uids), [[0, 99999]]);
});

test('formats and compresses', () => {
  assert.equal(formatSequenceSet(parseSequenceSet('1:4,7,9:*')), '1:4,7,9:*');
  assert.equal(compressNumbers([7, 1, 2, 3, 9, 10, 3]), '1:3,7,9:10');
  assert.equal(compressNumbers([]), '');
});

test('membership uses max for star', () => {
  assert.equal(sequenceSetContains(parseSequenceSet('2:*'), 7, 7), true);
  assert.equal(sequenceSetContains(parseSequenceSet('2:4'), 7, 7), false);
});
