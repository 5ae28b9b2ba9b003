/** SUBSCRIBE / UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8). Both accept any valid name, existing or not. */
import { defineCommand, ok } from '../command.js';
import { validateMailboxPath } from '../../proto/index.js';
import { accountOf } from '../mailbox-util.js';
import { AUTH } from '../state.js';

export const subscribeCommand = defineCommand({
  names: ['SUBSCRIBE', 'UNSUBSCRIBE'],
  states: AUTH,
  async run(ctx, cmd) {
    const accountId = accountOf(ctx).id;
    if (cmd.kind === 'SUBSCRIBE') {
      // RFC 3501 §6.3.6: a name may be subscribed whether or not the mailbox exists.
      validateMailboxPath(cmd.mailbox);
      await ctx.deps.store.setSubscribed(accountId, cmd.mailbox, true);
    } else {
      await ctx.deps.store.setSubscribed(accountId, cmd.mailbox, false);
    }
    return ok(`${cmd.kind} completed`);
  },
});
