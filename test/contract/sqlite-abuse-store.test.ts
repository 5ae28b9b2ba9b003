/** Runs the AbuseStore conformance suite against SqliteStore (with reopen on the same data directory). */

import type { Store } from '../../src/store/types.js';
import { makeTempStore, openStoreAt } from '../helpers/store-temp.js';
import { runAbuseStoreContract } from './abuse-store.contract.js';

runAbuseStoreContract('SqliteStore', async () => {
  const t = await makeTempStore();
  let current = t.store;
  return {
    store: current as Store,
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
});
