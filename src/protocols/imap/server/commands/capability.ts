/** CAPABILITY (RFC 9051 §6.1.1): the list for the current state. */
import { atom } from '../../proto/index.js';
import { defineCommand, ok } from '../command.js';
import { ANY } from '../state.js';

export const capabilityCommand = defineCommand({
  names: ['CAPABILITY'],
  states: ANY,
  async run(ctx) {
    await ctx.untagged([atom('CAPABILITY'), ...ctx.capabilities().map(atom)]);
    return ok('CAPABILITY completed');
  },
});
