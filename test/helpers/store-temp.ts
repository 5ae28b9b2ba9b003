/**
 * A SqliteStore in a fresh temp directory (os.tmpdir()), for tests. cleanup() closes it and removes the
 * directory. `reopen()` closes and opens the same directory again (for persistence tests).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';

export interface TempStore {
  store: SqliteStore;
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeTempStore(opts: Omit<SqliteStoreOptions, 'dir'> = {}): Promise<TempStore> {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-store-'));
  const store = await openSqliteStore({ ...opts, dir });
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Opens another SqliteStore on an existing data directory. */
export function openStoreAt(dir: string, opts: Omit<SqliteStoreOptions, 'dir'> = {}): Promise<SqliteStore> {
  return openSqliteStore({ ...opts, dir });
}
