/**
 * SEARCH and UID SEARCH (RFC 9051 §6.4.4) with ESEARCH RETURN (RFC 4731: MIN MAX ALL COUNT), SEARCHRES SAVE
 * (RFC 5182) and CONDSTORE's MODSEQ in results (RFC 7162 §3.1.5). IMAP4rev2 clients always get ESEARCH
 * (RFC 9051 §7.3.4). Matching is in search-eval.ts.
 */
import { atom, compressNumbers, quoted, type ImapValue, type SearchReturnOption } from '../../proto/index.js';
import { defineCommand, ok, type SessionContext } from '../command.js';
import { runSearch, usesModseq, type SearchMatch } from '../search-eval.js';
import { SELECTED, type SelectedState } from '../state.js';

/** Writes the search result in the form the command asked for; saves `$` when asked. */
export async function sendSearchResult(
  ctx: SessionContext,
  hits: readonly SearchMatch[],
  opts: { uid: boolean; returns: SearchReturnOption[] | null; modseq: boolean; verb: 'SEARCH' | 'SORT' },
): Promise<void> {
  const ids = hits.map((h) => (opts.uid ? h.uid : h.seq));
  // runSearch reads every match's summary when the key uses MODSEQ (SearchMatch.summary).
  const highest = opts.modseq && hits.length ? Math.max(...hits.map((h) => h.summary?.modseq ?? 0)) : null;
  let returns = opts.returns;
  if (returns === null && ctx.enabled.has('IMAP4REV2') && opts.verb === 'SEARCH') returns = ['ALL'];
  if (returns === null) {
    const values: ImapValue[] = [atom(opts.verb), ...ids];
    if (highest !== null) values.push([atom('MODSEQ'), highest]);
    await ctx.untagged(values);
    return;
  }
  const set = new Set<SearchReturnOption>(returns.length ? returns : ['ALL']);
  if (set.has('SAVE')) {
    // RFC 5182 §2.4: with SAVE plus only MIN and/or MAX, only those are saved.
    const onlyMinMax = !set.has('ALL') && !set.has('COUNT') && (set.has('MIN') || set.has('MAX'));
    let saved = hits.map((h) => h.uid);
    if (onlyMinMax && hits.length) {
      saved = [];
      if (set.has('MIN')) saved.push(hits[0]!.uid);
      if (set.has('MAX') && hits.length > 1) saved.push(hits[hits.length - 1]!.uid);
    }
    ctx.savedUids = saved;
    set.delete('SAVE');
    // RFC 5182 §2.1: SAVE alone returns no ESEARCH response.
    if (set.size === 0) return;
  }
  const values: ImapValue[] = [atom('ESEARCH'), [atom('TAG'), atom(quoted(ctx.tag))]];
  if (opts.uid) values.push(atom('UID'));
  if (set.has('MIN') && ids.length) values.push(atom('MIN'), Math.min(...ids));
  if (set.has('MAX') && ids.length) values.push(atom('MAX'), Math.max(...ids));
  if (set.has('COUNT')) values.push(atom('COUNT'), ids.length);
  if (set.has('ALL') && ids.length) values.push(atom('ALL'), atom(compressNumbers(ids)));
  if (highest !== null) values.push(atom('MODSEQ'), highest);
  await ctx.untagged(values);
}

export const searchCommand = defineCommand({
  names: ['SEARCH'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    const modseq = usesModseq(cmd.criteria);
    if (modseq) ctx.enable('CONDSTORE');
    const hits = await runSearch(
      { store: ctx.deps.store, mailboxId: sel.mailbox.id, view: sel.view, savedUids: ctx.savedUids },
      cmd.criteria,
    );
    await sendSearchResult(ctx, hits, { uid: cmd.uid, returns: cmd.returns, modseq, verb: 'SEARCH' });
    return ok(`${cmd.uid ? 'UID ' : ''}SEARCH completed`);
  },
});
