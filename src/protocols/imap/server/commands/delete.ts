/** DELETE (RFC 9051 §6.3.5): INBOX cannot be deleted; the selected mailbox may be (the view sees expunges). */
import { defineCommand, no, ok } from '../command.js';
import { findMailbox, isResult } from '../mailbox-util.js';
import { AUTH } from '../state.js';

export const deleteCommand = defineCommand({
  names: ['DELETE'],
  states: AUTH,
  async run(ctx, cmd) {
    if (cmd.mailbox === 'INBOX') return no('INBOX cannot be deleted', 'CANNOT');
    const mb = await findMailbox(ctx, cmd.mailbox);
    if (isResult(mb)) return mb;
    const st = ctx.state;
    if (st.kind === 'selected' && st.mailbox.id === mb.id) ctx.deselect();
    await ctx.deps.store.deleteMailbox(mb.id);
    return ok('DELETE completed');
  },
});
