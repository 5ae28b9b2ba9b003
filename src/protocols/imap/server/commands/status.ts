/** STATUS (RFC 9051 §6.3.11). */
import { atom } from '../../proto/index.js';
import { defineCommand, ok } from '../command.js';
import { findMailbox, isResult, statusValues, wireName } from '../mailbox-util.js';
import { AUTH } from '../state.js';

export const statusCommand = defineCommand({
  names: ['STATUS'],
  states: AUTH,
  async run(ctx, cmd) {
    const mb = await findMailbox(ctx, cmd.mailbox);
    if (isResult(mb)) return mb;
    await ctx.untagged([atom('STATUS'), wireName(ctx, mb.name), await statusValues(ctx, mb, cmd.items)]);
    return ok('STATUS completed');
  },
});
