/** LOGOUT (RFC 9051 §6.1.3): untagged BYE, tagged OK, then the connection closes. */
import { untaggedStatus } from '../../proto/index.js';
import { defineCommand, ok } from '../command.js';
import { ANY } from '../state.js';

export const logoutCommand = defineCommand({
  names: ['LOGOUT'],
  states: ANY,
  async run(ctx) {
    await ctx.write(untaggedStatus('BYE', 'Logging out'));
    return { ...ok('LOGOUT completed'), noFlush: true, after: async () => ctx.close() };
  },
});
