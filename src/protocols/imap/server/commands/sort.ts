/**
 * SORT and UID SORT (RFC 5256 §3) with DISPLAYFROM/DISPLAYTO (RFC 5957). Keys: ARRIVAL (internal date),
 * DATE (Date header, else internal date), CC/FROM/TO (first address's mailbox), SUBJECT (base subject), SIZE;
 * REVERSE per key; ties fall back to sequence order (§3).
 */
import type { EnvelopeAddress } from '../../../../mail/structure.js';
import { defineCommand, ok } from '../command.js';
import { baseSubject, decodeWords, sentTime } from '../message-fields.js';
import { runSearch, type SearchHit } from '../search-eval.js';
import { SELECTED, type SelectedState } from '../state.js';
import { sendSearchResult } from './search.js';
import type { SortCriterion } from '../../proto/index.js';

function firstMailbox(list: EnvelopeAddress[] | null): string {
  const a = list?.find((x) => x.host !== null);
  return (a?.mailbox ?? '').toLowerCase();
}

/** RFC 5957 §7: the display name, else the address. */
function display(list: EnvelopeAddress[] | null): string {
  const a = list?.find((x) => x.host !== null);
  if (!a) return '';
  const name = a.name ? decodeWords(a.name).trim() : '';
  return (name || `${a.mailbox ?? ''}@${a.host ?? ''}`).toLowerCase();
}

function sortValue(h: SearchHit, key: SortCriterion['key']): string | number {
  const env = h.stored?.structure.envelope;
  switch (key) {
    case 'ARRIVAL':
      return h.summary.internalDate.getTime();
    case 'DATE':
      return sentTime(env?.date ?? null) ?? h.summary.internalDate.getTime();
    case 'SIZE':
      return h.summary.size;
    case 'SUBJECT':
      return baseSubject(env?.subject ?? null);
    case 'FROM':
      return firstMailbox(env?.from ?? null);
    case 'TO':
      return firstMailbox(env?.to ?? null);
    case 'CC':
      return firstMailbox(env?.cc ?? null);
    case 'DISPLAYFROM':
      return display(env?.from ?? null);
    case 'DISPLAYTO':
      return display(env?.to ?? null);
  }
}

export function sortHits(hits: SearchHit[], criteria: readonly SortCriterion[]): SearchHit[] {
  const keyed = hits.map((h) => ({ h, v: criteria.map((c) => sortValue(h, c.key)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = a.v[i]!;
      const y = b.v[i]!;
      const c = x < y ? -1 : x > y ? 1 : 0;
      if (c) return criteria[i]!.reverse ? -c : c;
    }
    return a.h.seq - b.h.seq;
  });
  return keyed.map((k) => k.h);
}

export const sortCommand = defineCommand({
  names: ['SORT'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    const hits = await runSearch(
      { store: ctx.deps.store, mailboxId: sel.mailbox.id, view: sel.view, savedUids: ctx.savedUids },
      cmd.search,
      { withStored: true },
    );
    await sendSearchResult(ctx, sortHits(hits, cmd.criteria), { uid: cmd.uid, returns: null, modseq: false, verb: 'SORT' });
    return ok(`${cmd.uid ? 'UID ' : ''}SORT completed`);
  },
});
