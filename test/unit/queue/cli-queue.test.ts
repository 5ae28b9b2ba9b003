import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerQueueCommands } from '../../../src/cli/commands/queue.js';
import type { CliContext } from '../../../src/cli/context.js';
import { createOutput } from '../../../src/cli/output.js';
import { defaultConfig } from '../../../src/config/load.js';
import type { Store } from '../../../src/store/types.js';
import { makeTempStore, type TempStore } from '../../helpers/store-temp.js';

let temp: TempStore;
let out: string;

beforeEach(async () => {
  temp = await makeTempStore();
  out = '';
});
afterEach(() => temp.cleanup());

async function run(...args: string[]): Promise<string> {
  out = '';
  const program = new Command().exitOverride().option('--json');
  const ctx = {
    globals: () => program.opts(),
    output: () => createOutput(Boolean(program.opts().json), (s) => (out += s)),
    withStore: <T>(fn: (s: Store, c: ReturnType<typeof defaultConfig>) => Promise<T>) => fn(temp.store, defaultConfig()),
  } as unknown as CliContext;
  registerQueueCommands(program, ctx);
  await program.parseAsync(['node', 'pochta', ...args]);
  return out;
}

async function entry(nextAttemptAt = new Date(Date.now() + 3600_000)) {
  const blob = await temp.store.blobs.put(Buffer.from('Subject: x\r\n\r\nbody\r\n'));
  const e = await temp.store.enqueue({ sender: 'a@example.org', recipients: [{ address: 'b@example.com' }], blobId: blob.id, size: blob.size, nextAttemptAt });
  await temp.store.claimDue(new Date(Date.now() + 7200_000), 10);
  return temp.store.recordAttempt(e.id, { recipients: [{ address: 'b@example.com', state: 'deferred', lastResult: '451 later' }], state: 'deferred', nextAttemptAt, lastError: '451 later' });
}

test('queue list shows entries as a table and as JSON', async () => {
  const e = await entry();
  assert.match(await run('queue', 'list'), new RegExp(`${e.id}\\s+deferred\\s+a@example\\.org\\s+b@example\\.com`));
  const json = JSON.parse(await run('--json', 'queue', 'list')) as Array<{ id: string; state: string }>;
  assert.deepEqual(json.map((r) => [r.id, r.state]), [[e.id, 'deferred']]);
});

test('queue show lists each recipient with its last result', async () => {
  const e = await entry();
  assert.match(await run('queue', 'show', e.id), /b@example\.com: deferred \(451 later\)/);
});

test('retry and flush make deferred entries due now', async () => {
  const e = await entry();
  await run('queue', 'retry', e.id);
  const after = (await temp.store.getQueueEntry(e.id))!;
  assert.equal(after.state, 'queued');
  assert.ok(after.nextAttemptAt.getTime() <= Date.now());
  const e2 = await entry();
  assert.match(await run('queue', 'flush'), /scheduled/);
  assert.ok((await temp.store.getQueueEntry(e2.id))!.nextAttemptAt.getTime() <= Date.now());
});

test('hold keeps an entry from being claimed until release', async () => {
  const e = await entry(new Date(Date.now() - 1000));
  await run('queue', 'hold', e.id);
  assert.equal((await temp.store.claimDue(new Date(), 10)).length, 0);
  await run('queue', 'release', e.id);
  assert.deepEqual((await temp.store.claimDue(new Date(), 10)).map((x) => x.id), [e.id]);
});

test('delete removes the entry; an unknown id is a user error', async () => {
  const e = await entry();
  await run('queue', 'delete', e.id);
  assert.equal(await temp.store.getQueueEntry(e.id), null);
  await assert.rejects(run('queue', 'show', e.id), /not found/);
});
