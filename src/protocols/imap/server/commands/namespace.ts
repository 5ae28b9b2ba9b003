/** NAMESPACE (RFC 2342; RFC 9051 §6.3.10): one personal namespace, prefix "", separator "/". */
import { atom } from '../../proto/index.js';
import { defineCommand, ok } from '../command.js';
import { AUTH } from '../state.js';

export const namespaceCommand = defineCommand({
  names: ['NAMESPACE'],
  states: AUTH,
  async run(ctx) {
    await ctx.untagged([atom('NAMESPACE'), [['', '/']], null, null]);
    return ok('NAMESPACE completed');
  },
});
