/** ID (RFC 2971): the server's identification; the client's fields are only logged. */
import { atom } from '../../proto/index.js';
import { defineCommand, ok } from '../command.js';
import { ANY } from '../state.js';

export const idCommand = defineCommand({
  names: ['ID'],
  states: ANY,
  async run(ctx, cmd) {
    if (cmd.params) ctx.deps.log.debug({ id: Object.fromEntries(cmd.params) }, 'client ID');
    await ctx.untagged([atom('ID'), ['name', 'pochta', 'vendor', 'pochta']]);
    return ok('ID completed');
  },
});
