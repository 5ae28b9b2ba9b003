/**
 * Groups directory fsyncs: many renames into one directory that arrive while an fsync of it is queued share
 * that fsync. A caller's promise resolves only after an fsync that *started after its request* completed, so
 * no rename is ever left unsynced (an fsync already running may have missed it; the caller waits for the next).
 *
 * Side effects: opens, fsyncs and closes directory handles.
 */

import { open } from 'node:fs/promises';

interface DirState {
  /** The fsync currently in progress, if any. */
  running: Promise<void> | null;
  /** The fsync queued to start after `running`; later requests join it. */
  queued: Promise<void> | null;
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class DirSyncer {
  private readonly dirs = new Map<string, DirState>();

  constructor(private readonly syncOne: (dir: string) => Promise<void> = fsyncDirectory) {}

  /** Resolves once `dir` has been fsync'd by an fsync that began after this call. */
  sync(dir: string): Promise<void> {
    let state = this.dirs.get(dir);
    if (state === undefined) {
      state = { running: null, queued: null };
      this.dirs.set(dir, state);
    }
    if (state.queued !== null) return state.queued;
    const s = state;
    const before = s.running ?? Promise.resolve();
    const queued: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        // This fsync starts now: later requests must queue behind it.
        s.queued = null;
        s.running = queued;
        return this.syncOne(dir);
      })
      .finally(() => {
        if (s.running === queued) s.running = null;
        if (s.running === null && s.queued === null) this.dirs.delete(dir);
      });
    s.queued = queued;
    return queued;
  }
}
