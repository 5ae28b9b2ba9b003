/**
 * CREATE (RFC 9051 §6.3.4) with RFC 6154 USE (special-use). A trailing separator is dropped (§6.3.4);
 * missing parents are created by the store. INBOX (any case) cannot be created.
 */
import type { SpecialUse } from '../../../../store/types.js';
import { canonicalFlag, validateNewMailboxName } from '../../proto/index.js';
import { defineCommand, no, ok } from '../command.js';
import { accountOf } from '../mailbox-util.js';
import { AUTH } from '../state.js';

const USES = new Set<SpecialUse>(['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged']);

export const createCommand = defineCommand({
  names: ['CREATE'],
  states: AUTH,
  async run(ctx, cmd) {
    let name = cmd.mailbox;
    while (name.endsWith('/')) name = name.slice(0, -1);
    validateNewMailboxName(name);
    if (name.toUpperCase() === 'INBOX') return no('INBOX always exists', 'ALREADYEXISTS');
    let specialUse: SpecialUse | null = null;
    if (cmd.specialUse.length > 1) return no('Only one special use per mailbox', 'USEATTR');
    if (cmd.specialUse.length === 1) {
      const u = canonicalFlag(cmd.specialUse[0]!) as SpecialUse;
      if (!USES.has(u)) return no('Unsupported special-use attribute', 'USEATTR');
      specialUse = u;
    }
    await ctx.deps.store.createMailbox(accountOf(ctx).id, name, { specialUse });
    return ok('CREATE completed');
  },
});
