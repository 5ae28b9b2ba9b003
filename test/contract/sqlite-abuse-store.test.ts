/** Runs the AbuseStore conformance suite against SqliteStore (with reopen on the same data directory). */

import { makeReopenableTempStore } from '../helpers/store-temp.js';
import { runAbuseStoreContract } from './abuse-store.contract.js';

runAbuseStoreContract('SqliteStore', makeReopenableTempStore);
