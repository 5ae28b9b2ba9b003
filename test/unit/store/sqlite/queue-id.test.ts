import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newQueueId } from '../../../../src/store/sqlite/queue-id.js';

describe('queue ids', () => {
  it('are unique and sort in creation order, even within one millisecond', () => {
    const t = Date.now() + 10_000;
    const ids = [newQueueId(t), newQueueId(t), newQueueId(t), newQueueId(t + 1), newQueueId(t + 500)];
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[0-9A-HJKMNP-TV-Z]{20}$/);
  });

  it('stay monotonic when the clock steps back', () => {
    const a = newQueueId(Date.now() + 20_000);
    const b = newQueueId(Date.now());
    assert.ok(b > a);
  });
});
