/**
 * RENAME (RFC 9051 §6.3.6). Renaming INBOX moves its messages to a new mailbox and leaves INBOX empty
 * (§6.3.6 "special case"); children move with their parent (done by the store).
 */
import { validateNewMailboxName } from '../../proto/index.js';
import { defineCommand, no, ok } from '../command.js';
import { accountOf, findMailbox, isResult } from '../mailbox-util.js';
import { AUTH } from '../state.js';

export const renameCommand = defineCommand({
  names: ['RENAME'],
  states: AUTH,
  async run(ctx, cmd) {
    let to = cmd.to;
    while (to.endsWith('/')) to = to.slice(0, -1);
    validateNewMailboxName(to);
    if (to.toUpperCase() === 'INBOX') return no('Cannot rename to INBOX', 'ALREADYEXISTS');
    const src = await findMailbox(ctx, cmd.from);
    if (isResult(src)) return src;
    const store = ctx.deps.store;
    const accountId = accountOf(ctx).id;
    if (await store.getMailbox(accountId, to)) return no('Target mailbox exists', 'ALREADYEXISTS');
    if (src.name === 'INBOX') {
      // RFC 9051 §6.3.6: move all INBOX messages to the new name; INBOX stays, empty.
      const dest = await store.createMailbox(accountId, to);
      const uids = (await store.listMessages(src.id)).map((m) => m.uid);
      if (uids.length) await store.moveMessages(src.id, uids, dest.id);
      return ok('RENAME completed');
    }
    const st = ctx.state;
    if (st.kind === 'selected' && st.mailbox.id === src.id) ctx.deselect();
    await store.renameMailbox(src.id, to);
    return ok('RENAME completed');
  },
});
