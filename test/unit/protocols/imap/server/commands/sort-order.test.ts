import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortOrder, toViewIds } from '../../../../../../src/protocols/imap/server/commands/sort.js';

describe('SORT ordering helpers', () => {
  it('sortOrder compares each criterion in turn, REVERSE per key, ties in sequence order', () => {
    const crit = [
      { key: 'DATE' as const, reverse: false },
      { key: 'SUBJECT' as const, reverse: true },
    ];
    const order = sortOrder(4, crit, [
      [5, 1, 5, 1],
      ['a', 'b', 'c', 'b'],
    ]);
    assert.deepEqual([...order], [1, 3, 2, 0]);
  });

  it('toViewIds keeps only UIDs of the view, in the given order, as UIDs or sequence numbers (dense and sparse views)', () => {
    const dense = [2, 3, 5, 6];
    assert.deepEqual(toViewIds(dense, [6, 4, 2, 9, 1, 5], true), [6, 2, 5]);
    assert.deepEqual(toViewIds(dense, [6, 4, 2, 9, 1, 5], false), [4, 1, 3]);
    const sparse = [1, 100_000, 4_000_000];
    assert.deepEqual(toViewIds(sparse, [4_000_000, 5, 1], false), [3, 1]);
    assert.deepEqual(toViewIds(sparse, [4_000_000, 5, 1], true), [4_000_000, 1]);
    assert.deepEqual(toViewIds([], [1, 2], true), []);
  });
});
