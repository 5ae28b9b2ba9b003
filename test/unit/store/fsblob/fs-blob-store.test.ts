import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isStoreError } from '../../../../src/lib/errors.js';
import { FsBlobStore } from '../../../../src/store/fsblob/fs-blob-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('FsBlobStore', () => {
  let root: string;
  let blobs: FsBlobStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pochta-blob-'));
    blobs = await FsBlobStore.open(join(root, 'blobs'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores a body at ab/cd/<sha256> with its exact bytes and leaves no temp file', async () => {
    const data = Buffer.from('Subject: x\r\n\r\nhello\r\n');
    const ref = await blobs.put(data);
    assert.equal(ref.id, sha(data));
    const path = join(root, 'blobs', ref.id.slice(0, 2), ref.id.slice(2, 4), ref.id);
    assert.equal(blobs.pathOf(ref.id), path);
    assert.deepEqual(await readFile(path), data);
    assert.deepEqual(await readdir(join(root, 'blobs', 'tmp')), []);
  });

  it('keeps one copy of repeated content and refreshes its mtime', async () => {
    const data = Buffer.from('same bytes');
    const ref = await blobs.put(data);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(blobs.pathOf(ref.id), old, old);
    const w = blobs.createWriter();
    await w.write(data);
    assert.deepEqual(await w.commit(), ref);
    assert.ok((await stat(blobs.pathOf(ref.id))).mtimeMs > old.getTime() + 1000);
    await utimes(blobs.pathOf(ref.id), old, old);
    await blobs.put(data);
    assert.ok((await stat(blobs.pathOf(ref.id))).mtimeMs > old.getTime() + 1000);
    const ids: string[] = [];
    for await (const b of blobs.list()) ids.push(b.id);
    assert.deepEqual(ids, [ref.id]);
    assert.deepEqual(await readdir(join(root, 'blobs', 'tmp')), []);
  });

  it('streams through the writer, hashing as it goes, and aborts without a trace', async () => {
    const parts = [Buffer.alloc(70_000, 'a'), Buffer.alloc(10, 'b'), Buffer.alloc(0)];
    const w = blobs.createWriter();
    await Promise.all(parts.map((p) => w.write(p)));
    const ref = await w.commit();
    const all = Buffer.concat(parts);
    assert.deepEqual(ref, { id: sha(all), size: all.length });
    assert.deepEqual(await blobs.read(ref.id), all);
    await assert.rejects(w.write(Buffer.from('late')));

    const a = blobs.createWriter();
    await a.write(Buffer.from('never stored'));
    await a.abort();
    assert.equal(await blobs.has(sha(Buffer.from('never stored'))), false);
    assert.deepEqual(await readdir(join(root, 'blobs', 'tmp')), []);
  });

  it('reads byte ranges [start, end) and streams ranges', async () => {
    const ref = await blobs.put(Buffer.from('abcdefghij'));
    assert.equal((await blobs.readRange(ref.id, 0, 3)).toString(), 'abc');
    assert.equal((await blobs.readRange(ref.id, 8, 20)).toString(), 'ij', 'a range past the end is cut short');
    assert.equal((await blobs.readRange(ref.id, 5, 5)).length, 0);
    const read = async (range?: { start: number; end: number }) => {
      const chunks: Buffer[] = [];
      for await (const c of blobs.createReadStream(ref.id, range)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    };
    assert.equal(await read(), 'abcdefghij');
    assert.equal(await read({ start: 2, end: 4 }), 'cd');
    assert.equal(await read({ start: 4, end: 4 }), '');
  });

  it('rejects malformed ids as invalid and missing ones as not-found', async () => {
    await assert.rejects(blobs.read('../etc/passwd'), (e) => isStoreError(e, 'invalid'));
    await assert.rejects(blobs.read('A'.repeat(64)), (e) => isStoreError(e, 'invalid'));
    await assert.rejects(blobs.readRange('0'.repeat(64), 0, 1), (e) => isStoreError(e, 'not-found'));
    await blobs.delete('0'.repeat(64));
  });

  it('deletes only blobs whose mtime is before the cutoff', async () => {
    const ref = await blobs.put(Buffer.from('gc me'));
    assert.equal(await blobs.deleteIfOlderThan(ref.id, new Date(Date.now() - 60_000)), false);
    const old = new Date(Date.now() - 3_600_000);
    await utimes(blobs.pathOf(ref.id), old, old);
    assert.equal(await blobs.deleteIfOlderThan(ref.id, new Date(Date.now() - 60_000)), true);
    assert.equal(await blobs.has(ref.id), false);
  });

  it('removes stale temp files on open and keeps recent ones', async () => {
    const tmp = join(root, 'blobs', 'tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'stale'), 'x');
    await writeFile(join(tmp, 'fresh'), 'y');
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(tmp, 'stale'), old, old);
    await FsBlobStore.open(join(root, 'blobs'));
    assert.deepEqual(await readdir(tmp), ['fresh']);
  });

  it('lists every stored blob across fan-out directories', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await blobs.put(Buffer.from(`blob ${i}`))).id);
    const listed = new Set<string>();
    for await (const b of blobs.list()) {
      listed.add(b.id);
      assert.ok(b.mtime instanceof Date);
    }
    assert.deepEqual(listed, ids);
  });
});
