/**
 * BlobStore on a directory (DESIGN.md "Durability"): bodies are content-addressed by lower-case hex SHA-256 and
 * fanned out as `ab/cd/<hash>`.
 *
 * Write path: temp file under `<root>/tmp` (same filesystem) → write → fsync file → rename to the content
 * address → fsync the directory (and every directory created on the way, via its parent). Only then does
 * put()/commit() resolve. If the address already exists the temp is dropped and the existing file's mtime is
 * refreshed, so the garbage collector's grace period protects a body about to be referenced again.
 *
 * Invariants: a visible blob is complete and durable; one stored copy per content; operations on the same id
 * (store, delete) are serialised in-process so GC cannot delete a blob that is being re-stored.
 * Side effects: files under `root`; leftover temp files older than an hour are removed by open(). read() of a small
 * body uses synchronous file calls (SYNC_READ_MAX).
 */

import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { StoreError } from '../../lib/errors.js';
import type { BlobRef, BlobStore, BlobWriter } from '../types.js';
import { DirSyncer, fsyncDirectory } from './dir-syncer.js';
import { KeyedLock } from './keyed-lock.js';

const ID_RE = /^[0-9a-f]{64}$/;
const FAN_RE = /^[0-9a-f]{2}$/;
const TEMP_MAX_AGE_MS = 60 * 60 * 1000;
/**
 * read() of a body up to this size is done with synchronous calls: open + fstat + read + close of a small,
 * usually page-cached file take ~10-30 µs on the event loop, while the promise API's four thread-pool round trips
 * cost ~100-200 µs each time (it made POP3 RETR 1.7x slower than Dovecot). Larger bodies keep the async path so a
 * big read never blocks the loop for long. Same trade-off as SQLite's synchronous queries.
 */
const SYNC_READ_MAX = 256 * 1024;

function checkId(id: string): void {
  if (!ID_RE.test(id)) throw new StoreError('invalid', `not a blob id: ${JSON.stringify(id)}`);
}

function notFound(id: string, cause: unknown): StoreError {
  return new StoreError('not-found', `blob ${id} not found`, { cause });
}

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export class FsBlobStore implements BlobStore {
  private readonly tmpDir: string;
  private readonly dirSync = new DirSyncer();
  private readonly locks = new KeyedLock();
  /** Fan-out directories known to exist durably. */
  private readonly knownDirs = new Set<string>();

  private constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  /** Creates the directory layout if needed and removes stale temp files. */
  static async open(root: string): Promise<FsBlobStore> {
    const store = new FsBlobStore(root);
    await store.ensureDir(root, null);
    await store.ensureDir(store.tmpDir, root);
    const cutoff = Date.now() - TEMP_MAX_AGE_MS;
    for (const name of await readdir(store.tmpDir)) {
      const p = join(store.tmpDir, name);
      try {
        if ((await stat(p)).mtimeMs < cutoff) await unlink(p);
      } catch {
        // Another process may have removed or renamed it meanwhile.
      }
    }
    return store;
  }

  /** Path of a blob's file (for diagnostics and tests). */
  pathOf(id: string): string {
    checkId(id);
    return join(this.root, id.slice(0, 2), id.slice(2, 4), id);
  }

  async put(data: Buffer): Promise<BlobRef> {
    const id = createHash('sha256').update(data).digest('hex');
    const ref = { id, size: data.length };
    // Fast path for repeated content: no write at all, just refresh the mtime under the lock.
    if (await this.locks.run(id, () => this.touchIfPresent(id))) return ref;
    const tmp = await this.openTemp();
    try {
      await tmp.fh.writeFile(data);
      await tmp.fh.sync();
    } finally {
      await tmp.fh.close();
    }
    await this.place(tmp.path, id);
    return ref;
  }

  createWriter(): BlobWriter {
    return new FsBlobWriter(this);
  }

  async read(id: string): Promise<Buffer> {
    const p = this.pathOf(id);
    const small = readSmallSync(p, id);
    if (small !== null) return small;
    try {
      return await readFile(p);
    } catch (e) {
      if (isEnoent(e)) throw notFound(id, e);
      throw e;
    }
  }

  async readRange(id: string, start: number, end: number): Promise<Buffer> {
    const p = this.pathOf(id);
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end >= start)) {
      throw new StoreError('invalid', `bad range [${start}, ${end})`);
    }
    let fh: FileHandle;
    try {
      fh = await open(p, 'r');
    } catch (e) {
      if (isEnoent(e)) throw notFound(id, e);
      throw e;
    }
    try {
      const buf = Buffer.alloc(end - start);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return off === buf.length ? buf : buf.subarray(0, off);
    } finally {
      await fh.close();
    }
  }

  createReadStream(id: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    const p = this.pathOf(id);
    if (range === undefined) return createReadStream(p);
    if (range.end <= range.start) {
      // fs streams cannot express an empty range (their end is inclusive).
      return Readable.from([]);
    }
    return createReadStream(p, { start: range.start, end: range.end - 1 });
  }

  async has(id: string): Promise<boolean> {
    try {
      await stat(this.pathOf(id));
      return true;
    } catch (e) {
      if (isEnoent(e)) return false;
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    const p = this.pathOf(id);
    await this.locks.run(id, async () => {
      try {
        await unlink(p);
      } catch (e) {
        if (!isEnoent(e)) throw e;
      }
    });
  }

  /**
   * Deletes the blob only if its mtime is still before `cutoff`, checked under the per-id lock (a put() of the
   * same content refreshes the mtime, so a body about to be referenced again survives). Returns whether deleted.
   */
  async deleteIfOlderThan(id: string, cutoff: Date): Promise<boolean> {
    const p = this.pathOf(id);
    return this.locks.run(id, async () => {
      try {
        if ((await stat(p)).mtimeMs >= cutoff.getTime()) return false;
        await unlink(p);
        return true;
      } catch (e) {
        if (isEnoent(e)) return false;
        throw e;
      }
    });
  }

  async *list(): AsyncIterable<{ id: string; mtime: Date }> {
    for (const a of (await readdir(this.root)).sort()) {
      if (!FAN_RE.test(a)) continue;
      let level2: string[];
      try {
        level2 = await readdir(join(this.root, a));
      } catch {
        continue;
      }
      for (const b of level2.sort()) {
        if (!FAN_RE.test(b)) continue;
        let names: string[];
        try {
          names = await readdir(join(this.root, a, b));
        } catch {
          continue;
        }
        for (const name of names.sort()) {
          if (!ID_RE.test(name) || !name.startsWith(a + b)) continue;
          try {
            const st = await stat(join(this.root, a, b, name));
            yield { id: name, mtime: st.mtime };
          } catch (e) {
            if (!isEnoent(e)) throw e;
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // internals shared with FsBlobWriter

  /** @internal */
  async openTemp(): Promise<{ path: string; fh: FileHandle }> {
    const path = join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const fh = await open(path, 'wx', 0o640);
    return { path, fh };
  }

  /** @internal Moves a complete, fsync'd temp file to its content address and makes the rename durable. */
  async place(tmpPath: string, id: string): Promise<void> {
    const final = this.pathOf(id);
    const dir1 = join(this.root, id.slice(0, 2));
    const dir2 = join(dir1, id.slice(2, 4));
    await this.locks.run(id, async () => {
      if (await this.touchIfPresent(id)) {
        await unlink(tmpPath).catch(() => undefined);
        return;
      }
      await this.ensureDir(dir1, this.root);
      await this.ensureDir(dir2, dir1);
      await rename(tmpPath, final);
      await this.dirSync.sync(dir2);
    });
  }

  /** Refreshes the mtime of an existing blob; false when it does not exist. */
  private async touchIfPresent(id: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(this.pathOf(id), now, now);
      return true;
    } catch (e) {
      if (isEnoent(e)) return false;
      throw e;
    }
  }

  /** mkdir that makes a new directory durable by fsyncing its parent. */
  private async ensureDir(dir: string, parent: string | null): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    let created = false;
    try {
      await mkdir(dir);
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && parent === null) {
        await mkdir(dir, { recursive: true });
        created = true;
      } else if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
    }
    if (created) {
      if (parent !== null) await this.dirSync.sync(parent);
      else await fsyncDirectory(dir);
    }
    this.knownDirs.add(dir);
  }
}

/** The whole file when it is at most SYNC_READ_MAX bytes (read synchronously), else null (use the async path). */
function readSmallSync(path: string, id: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (isEnoent(e)) throw notFound(id, e);
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > SYNC_READ_MAX) return null;
    const buf = Buffer.allocUnsafeSlow(size); // its own memory, like readFile's result
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Streaming writer: hashes while writing to a temp file; commit() fsyncs and places it. */
class FsBlobWriter implements BlobWriter {
  private readonly hash: Hash = createHash('sha256');
  private size = 0;
  private tmp: Promise<{ path: string; fh: FileHandle }> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private done = false;
  /** First write error: the temp file may be partial, so commit() must fail. */
  private failed: unknown = null;

  constructor(private readonly store: FsBlobStore) {}

  private temp(): Promise<{ path: string; fh: FileHandle }> {
    this.tmp ??= this.store.openTemp();
    return this.tmp;
  }

  write(chunk: Buffer): Promise<void> {
    if (this.done) return Promise.reject(new StoreError('invalid', 'blob writer already finished'));
    // Writes are chained so the file content follows call order even if callers do not await each write.
    const next = this.chain.then(async () => {
      const { fh } = await this.temp();
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
      this.hash.update(chunk);
      this.size += chunk.length;
    });
    this.chain = next.catch((e: unknown) => {
      this.failed ??= e;
    });
    return next;
  }

  async commit(): Promise<BlobRef> {
    if (this.done) throw new StoreError('invalid', 'blob writer already finished');
    this.done = true;
    await this.chain;
    if (this.failed !== null) {
      await this.discard();
      throw this.failed;
    }
    const { path, fh } = await this.temp();
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    const id = this.hash.digest('hex');
    try {
      await this.store.place(path, id);
    } catch (e) {
      await unlink(path).catch(() => undefined);
      throw e;
    }
    return { id, size: this.size };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.chain;
    await this.discard();
  }

  private async discard(): Promise<void> {
    if (this.tmp === null) return;
    const { path, fh } = await this.tmp;
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
  }
}
