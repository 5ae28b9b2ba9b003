/** NOOP (RFC 9051 §6.1.2) and CHECK (RFC 3501 §6.4.1, a NOOP here: every change is already durable). */
import { defineCommand, ok } from '../command.js';
import { ANY, SELECTED } from '../state.js';

export const noopCommand = defineCommand({
  names: ['NOOP'],
  states: ANY,
  async run() {
    // Pending mailbox updates are flushed by the session before the tagged OK.
    return ok('NOOP completed');
  },
});

export const checkCommand = defineCommand({
  names: ['CHECK'],
  states: SELECTED,
  async run() {
    return ok('CHECK completed');
  },
});
