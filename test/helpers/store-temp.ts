/**
 * A SqliteStore in a fresh temp directory (os.tmpdir()), for tests. cleanup() closes it and removes the
 * directory. `reopen()` closes and opens the same directory again (for persistence tests).
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/types.js';

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

/** A temp store serving example.test with one account, bob@example.test, and the id of its INBOX. */
export async function makeTempStoreWithInbox(): Promise<TempStore & { accountId: number; inbox: number }> {
  const t = await makeTempStore();
  await t.store.addDomain({ name: 'example.test' });
  const acc = await t.store.createAccount({ address: 'bob@example.test', passwordHash: 'x' });
  const inbox = (await t.store.getMailbox(acc.id, 'INBOX'))!.id;
  return { ...t, accountId: acc.id, inbox };
}

/** Opens another SqliteStore on an existing data directory. */
export function openStoreAt(dir: string, opts: Omit<SqliteStoreOptions, 'dir'> = {}): Promise<SqliteStore> {
  return openSqliteStore({ ...opts, dir });
}

/**
 * A temp SqliteStore shaped for the contract suites: `reopen()` closes it and opens the same data directory
 * again (persistence checks), `cleanup()` closes whichever is open and removes the directory.
 */
export async function makeReopenableTempStore(): Promise<{ store: Store; reopen(): Promise<Store>; cleanup(): Promise<void> }> {
  const t = await makeTempStore();
  let current: SqliteStore = t.store;
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await openStoreAt(t.dir);
      return current;
    },
    async cleanup() {
      if (current !== t.store) await current.close();
      await t.cleanup();
    },
  };
}
