// newConnectionId: short, lowercase, and distinct across many calls.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { newConnectionId } from '../../../src/lib/ids.js';

test('connection ids are 10 lowercase base-36 characters and do not repeat', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const id = newConnectionId();
    assert.match(id, /^[0-9a-z]{10}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 10_000);
});
