import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DirSyncer } from '../../../../src/store/fsblob/dir-syncer.js';

function controlledSync() {
  const calls: Array<{ dir: string; done: () => void }> = [];
  const syncOne = (dir: string) => new Promise<void>((resolve) => calls.push({ dir, done: resolve }));
  return { calls, syncOne };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('DirSyncer', () => {
  it('shares one fsync among requests that arrive before it starts', async () => {
    const { calls, syncOne } = controlledSync();
    const s = new DirSyncer(syncOne);
    const ps = [s.sync('/d'), s.sync('/d'), s.sync('/d')];
    await tick();
    assert.equal(calls.length, 1);
    calls[0]!.done();
    await Promise.all(ps);
  });

  it('never lets a request be covered by an fsync that started before it', async () => {
    const { calls, syncOne } = controlledSync();
    const s = new DirSyncer(syncOne);
    let firstDone = false;
    let secondDone = false;
    void s.sync('/d').then(() => (firstDone = true));
    await tick();
    assert.equal(calls.length, 1, 'first fsync running');
    void s.sync('/d').then(() => (secondDone = true));
    void s.sync('/d');
    calls[0]!.done();
    await tick();
    await tick();
    assert.equal(firstDone, true);
    assert.equal(secondDone, false, 'the second request waits for its own fsync');
    assert.equal(calls.length, 2, 'requests made during the first fsync share a second one');
    calls[1]!.done();
    await tick();
    await tick();
    assert.equal(secondDone, true);
  });

  it('syncs different directories independently', async () => {
    const { calls, syncOne } = controlledSync();
    const s = new DirSyncer(syncOne);
    const ps = [s.sync('/a'), s.sync('/b')];
    await tick();
    assert.deepEqual(calls.map((c) => c.dir).sort(), ['/a', '/b']);
    for (const c of calls) c.done();
    await Promise.all(ps);
  });
});
