/**
 * COPY and MOVE, plain and UID (RFC 9051 §6.4.7, §6.4.8; RFC 6851; RFC 4315 COPYUID). A missing
 * destination answers NO [TRYCREATE]. MOVE sends COPYUID untagged, then the EXPUNGEs (or VANISHED) of the
 * moved messages, which the session flushes from the view before the tagged OK.
 */
import { StoreError } from '../../../../lib/errors.js';
import { compressNumbers, untaggedStatus } from '../../proto/index.js';
import { defineCommand, no, ok } from '../command.js';
import { accountOf } from '../mailbox-util.js';
import { SELECTED, type SelectedState } from '../state.js';

export const copyCommand = defineCommand({
  names: ['COPY', 'MOVE'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    const store = ctx.deps.store;
    const uids = ctx.resolveSet(sel, cmd.set, cmd.uid);
    const dest = await store.getMailbox(accountOf(ctx).id, cmd.mailbox);
    if (!dest) return no('Destination mailbox does not exist', 'TRYCREATE');
    if (cmd.kind === 'MOVE' && sel.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
    if (!uids.length) return ok(`${cmd.kind} completed (no messages)`);
    await checkQuota(ctx, sel, uids);
    if (cmd.kind === 'COPY') {
      const r = await store.copyMessages(sel.mailbox.id, uids, dest.id);
      const code = copyUid(r);
      return ok('COPY completed', code);
    }
    const r = await store.moveMessages(sel.mailbox.id, uids, dest.id);
    // RFC 6851 §4.3: COPYUID goes in an untagged OK before the expunges.
    const code = copyUid(r);
    if (code) await ctx.write(untaggedStatus('OK', 'Moved', code));
    return ok('MOVE completed');
  },
});

function copyUid(r: { mapping: Array<{ sourceUid: number; destUid: number }>; destUidValidity: number }): string | null {
  if (!r.mapping.length) return null;
  // RFC 4315 §3: source and destination sets in the same order.
  const src = r.mapping.map((m) => m.sourceUid).join(',');
  const dst = r.mapping.map((m) => m.destUid).join(',');
  const compact = (list: string, nums: number[]): string => {
    const c = compressNumbers(nums);
    return c.length < list.length && isAscending(nums) ? c : list;
  };
  return `COPYUID ${r.destUidValidity} ${compact(src, r.mapping.map((m) => m.sourceUid))} ${compact(dst, r.mapping.map((m) => m.destUid))}`;
}

function isAscending(n: number[]): boolean {
  for (let i = 1; i < n.length; i++) if (n[i]! <= n[i - 1]!) return false;
  return true;
}

/** RFC 9208 §5.1: copying over the account's storage quota fails with OVERQUOTA. */
async function checkQuota(ctx: Parameters<typeof accountOf>[0], sel: SelectedState, uids: number[]): Promise<void> {
  const quota = sel.account.quotaBytes;
  if (!quota) return;
  const usage = await ctx.deps.store.getUsage(sel.account.id);
  const wanted = new Set(uids);
  let add = 0;
  for (const m of await ctx.deps.store.listMessages(sel.mailbox.id, { uidFrom: uids[0]!, uidTo: uids[uids.length - 1]! })) {
    if (wanted.has(m.uid)) add += m.size;
  }
  if (usage.bytes + add > quota) {
    throw new StoreError('over-quota', 'Quota exceeded');
  }
}
