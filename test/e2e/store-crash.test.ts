/**
 * Crash safety of the store: a child process writes messages (blob put + deliver) and reports each commit; we
 * SIGKILL it mid-stream, reopen the store and check that every reported message is there with its exact bytes
 * and that SQLite's integrity check passes. Three kill points, each continuing the previous run's data.
 * (SIGKILL tests process crashes; power loss additionally relies on the fsyncs, which this cannot observe.)
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITER = join(ROOT, 'test/helpers/store-crash-writer.ts');

/** Runs the writer until it has reported `killAfter` commits, SIGKILLs it, returns every reported commit. */
async function runAndKill(dir: string, killAfter: number): Promise<Array<{ uid: number; sha: string }>> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const commits: Array<{ uid: number; sha: string }> = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    const m = /^committed (\d+) ([0-9a-f]{64})$/.exec(line);
    if (m === null) return;
    commits.push({ uid: Number(m[1]), sha: m[2]! });
    if (commits.length === killAfter) child.kill('SIGKILL');
  });
  const signal = await exited;
  // Lines already in the pipe when the kill landed were committed too; wait until stdout is drained.
  await new Promise<void>((resolve) => (child.stdout.readableEnded ? resolve() : child.stdout.on('end', () => resolve())));
  assert.equal(signal, 'SIGKILL', `writer exited on its own: ${stderr}`);
  assert.ok(commits.length >= killAfter, `writer reported only ${commits.length} commits: ${stderr}`);
  return commits;
}

describe('store crash safety', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pochta-crash-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every reported delivery with its exact bytes across SIGKILLs at three points', async () => {
    const all = new Map<number, string>();
    for (const killAfter of [7, 60, 200]) {
      const commits = await runAndKill(dir, killAfter);
      for (const c of commits) {
        assert.ok(!all.has(c.uid), `UID ${c.uid} was handed out twice`);
        all.set(c.uid, c.sha);
      }
      const store = await openSqliteStore({ dir });
      try {
        assert.equal(await store.integrityCheck(), 'ok');
        const account = (await store.getAccount('crash@example.test'))!;
        const inbox = (await store.getMailbox(account.id, 'INBOX'))!;
        const uids = [...all.keys()].sort((a, b) => a - b);
        const msgs = await store.getMessages(inbox.id, uids);
        assert.deepEqual(msgs.map((m) => m.uid), uids, 'every reported UID is present');
        for (const m of msgs) {
          assert.equal(m.blobId, all.get(m.uid));
          const bytes = await store.blobs.read(m.blobId);
          assert.equal(createHash('sha256').update(bytes).digest('hex'), m.blobId, `UID ${m.uid} has its exact bytes`);
          assert.equal(m.size, bytes.length);
        }
        assert.ok(inbox.uidNext > uids[uids.length - 1]!, 'UIDNEXT is past every reported UID');
      } finally {
        await store.close();
      }
    }
  });
});
