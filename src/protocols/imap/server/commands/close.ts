/**
 * CLOSE (RFC 9051 §6.4.1): expunges \Deleted messages silently (unless read-only) and leaves the selected
 * state; UNSELECT (RFC 3691) leaves without expunging.
 */
import { defineCommand, ok } from '../command.js';
import { SELECTED } from '../state.js';

export const closeCommand = defineCommand({
  names: ['CLOSE', 'UNSELECT'],
  states: SELECTED,
  async run(ctx, cmd) {
    const st = ctx.state;
    if (st.kind !== 'selected') throw new Error('not selected');
    if (cmd.kind === 'CLOSE' && !st.readOnly) await ctx.deps.store.expunge(st.mailbox.id, { onlyDeleted: true });
    ctx.deselect();
    return { ...ok(`${cmd.kind} completed`), noFlush: true };
  },
});
