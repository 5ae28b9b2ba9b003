import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../../../../src/lib/errors.js';
import { applyFlagOperation, DELETED, flagsToList, parseFlags, SEEN } from '../../../../src/store/sqlite/flags.js';

describe('flag storage', () => {
  it('parses system flags case-insensitively, drops \\Recent and dedups keywords', () => {
    const f = parseFlags(['\\SEEN', '\\deleted', '\\Recent', 'Work', 'work', '$Junk']);
    assert.equal(f.sys, SEEN | DELETED);
    assert.deepEqual(f.keywords, ['Work', '$Junk']);
  });

  it('rejects unknown system flags and keywords that cannot be stored', () => {
    for (const bad of ['\\Bogus', '', 'two words', 'a(b', 'x\u0001']) {
      assert.throws(() => parseFlags([bad]), (e) => isStoreError(e, 'invalid'), bad);
    }
  });

  it('lists system flags in canonical order before keywords', () => {
    assert.deepEqual(flagsToList(DELETED | SEEN, 'b a'), ['\\Seen', '\\Deleted', 'b', 'a']);
    assert.deepEqual(flagsToList(0, ''), []);
  });

  it('applies set, add and remove', () => {
    const change = parseFlags(['\\Flagged', 'Todo']);
    assert.deepEqual(applyFlagOperation('set', SEEN, 'x', change), { sys: 4, keywords: 'Todo' });
    assert.deepEqual(applyFlagOperation('add', SEEN, 'todo x', change), { sys: SEEN | 4, keywords: 'todo x' });
    assert.deepEqual(applyFlagOperation('add', 0, 'x', change), { sys: 4, keywords: 'x Todo' });
    assert.deepEqual(applyFlagOperation('remove', SEEN | 4, 'x TODO', change), { sys: SEEN, keywords: 'x' });
  });
});
