/** Runs the Store conformance suite against SqliteStore (with reopen on the same data directory). */

import { makeReopenableTempStore } from '../helpers/store-temp.js';
import { runStoreContract } from './store.contract.js';

runStoreContract('SqliteStore', makeReopenableTempStore);
