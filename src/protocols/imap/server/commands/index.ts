/** Every IMAP command module; the session builds its dispatch table (kind → module) from this list. */
import type { CommandModule } from '../command.js';
import { appendCommand } from './append.js';
import { authenticateCommand } from './authenticate.js';
import { capabilityCommand } from './capability.js';
import { closeCommand } from './close.js';
import { compressCommand } from './compress.js';
import { copyCommand } from './copy.js';
import { createCommand } from './create.js';
import { deleteCommand } from './delete.js';
import { enableCommand } from './enable.js';
import { expungeCommand } from './expunge.js';
import { fetchCommand } from './fetch.js';
import { idCommand } from './id.js';
import { idleCommand } from './idle.js';
import { listCommand, lsubCommand } from './list.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { namespaceCommand } from './namespace.js';
import { checkCommand, noopCommand } from './noop.js';
import { quotaCommand } from './quota.js';
import { renameCommand } from './rename.js';
import { selectCommand } from './select.js';
import { starttlsCommand } from './starttls.js';
import { statusCommand } from './status.js';
import { storeCommand } from './store.js';
import { subscribeCommand } from './subscribe.js';
import { searchCommand } from './search.js';
import { sortCommand } from './sort.js';
import { threadCommand } from './thread.js';

export const commandModules: readonly CommandModule[] = [
  capabilityCommand,
  noopCommand,
  checkCommand,
  logoutCommand,
  starttlsCommand,
  loginCommand,
  authenticateCommand,
  idCommand,
  enableCommand,
  namespaceCommand,
  compressCommand,
  listCommand,
  lsubCommand,
  statusCommand,
  createCommand,
  deleteCommand,
  renameCommand,
  subscribeCommand,
  selectCommand,
  closeCommand,
  fetchCommand,
  storeCommand,
  copyCommand,
  expungeCommand,
  appendCommand,
  idleCommand,
  quotaCommand,
  searchCommand,
  sortCommand,
  threadCommand,
];
