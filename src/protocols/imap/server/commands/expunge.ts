/**
 * EXPUNGE and UID EXPUNGE (RFC 9051 §6.4.3; RFC 4315 §2.1): removes \Deleted messages (only those in the
 * UID set for UID EXPUNGE). The untagged EXPUNGE (or VANISHED with QRESYNC) responses come from the view,
 * flushed by the session before the tagged OK, so other sessions' expunges are announced the same way.
 */
import { defineCommand, no, ok } from '../command.js';
import { SELECTED, type SelectedState } from '../state.js';

export const expungeCommand = defineCommand({
  names: ['EXPUNGE'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    if (sel.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
    if (cmd.uids) {
      const uids = ctx.resolveSet(sel, cmd.uids, true);
      if (uids.length) await ctx.deps.store.expunge(sel.mailbox.id, { uids, onlyDeleted: true });
      return ok('UID EXPUNGE completed');
    }
    await ctx.deps.store.expunge(sel.mailbox.id, { onlyDeleted: true });
    return ok('EXPUNGE completed');
  },
});
