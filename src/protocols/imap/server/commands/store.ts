/**
 * STORE and UID STORE (RFC 9051 §6.4.6) with UNCHANGEDSINCE (RFC 7162 §3.1.3). Untagged FETCH FLAGS for
 * every changed message unless .SILENT; with CONDSTORE enabled MODSEQ is added and sent even for .SILENT
 * (§3.1.3). Messages skipped by UNCHANGEDSINCE come back in `OK [MODIFIED set]`. \Recent cannot be stored.
 */
import { compressNumbers, fetchResponse, flagList, type ImapValue } from '../../proto/index.js';
import { defineCommand, no, ok } from '../command.js';
import { SELECTED, type SelectedState } from '../state.js';

export const storeCommand = defineCommand({
  names: ['STORE'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    if (sel.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
    if (cmd.unchangedSince !== null) ctx.enable('CONDSTORE');
    const uids = ctx.resolveSet(sel, cmd.set, cmd.uid);
    const flags = cmd.flags.filter((f) => f.toLowerCase() !== '\\recent');
    if (!uids.length) return ok('STORE completed');
    const opts = cmd.unchangedSince !== null ? { unchangedSince: cmd.unchangedSince } : {};
    const r = await ctx.deps.store.storeFlags(sel.mailbox.id, uids, cmd.action, flags, opts);
    sel.view.dropFlagUpdates(r.updated);
    const condstore = ctx.enabled.has('CONDSTORE');
    if (!cmd.silent || condstore) {
      for (const u of r.updated) {
        const seq = sel.view.seqOf(u.uid);
        if (!seq) continue;
        const items: Array<[string, ImapValue]> = [];
        if (cmd.uid || condstore) items.push(['UID', u.uid]);
        // RFC 3501 §2.3.2: the session's \Recent stays in the flags it is shown (not for IMAP4rev2 clients).
        const recent = !ctx.enabled.has('IMAP4REV2') && sel.view.isRecent(u.uid);
        if (!cmd.silent) items.push(['FLAGS', flagList(recent ? [...u.flags, '\\Recent'] : u.flags)]);
        if (condstore) items.push(['MODSEQ', [u.modseq]]);
        await ctx.write(fetchResponse(seq, items, ctx.encodeOpts));
      }
    }
    if (r.modified.length) {
      const ids = cmd.uid ? r.modified : r.modified.map((u) => sel.view.seqOf(u)).filter((s) => s > 0);
      return ok('Some messages were modified since', `MODIFIED ${compressNumbers(ids)}`);
    }
    return ok(`${cmd.uid ? 'UID ' : ''}STORE completed`);
  },
});
