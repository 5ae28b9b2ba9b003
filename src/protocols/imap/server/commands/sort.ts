/**
 * SORT and UID SORT (RFC 5256 §3) with DISPLAYFROM/DISPLAYTO (RFC 5957). Keys: ARRIVAL (internal date),
 * DATE (Date header, else internal date), CC/FROM/TO (first address's mailbox), SUBJECT (base subject), SIZE;
 * REVERSE per key; ties fall back to sequence order (§3). Sort keys come from the summaries and the stored
 * envelopes (Store.getEnvelopes), never from the message bytes.
 */
import type { Envelope, EnvelopeAddress } from '../../../../mail/structure.js';
import type { Store } from '../../../../store/types.js';
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

/** Envelopes read per store call. */
const ENVELOPE_BATCH = 5000;

function sortValue(h: SearchHit, env: Envelope | undefined, key: SortCriterion['key']): string | number {
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

/** The stored envelopes of the hits (only the envelope is read, not the whole structure). */
export async function envelopesOf(store: Store, mailboxId: number, hits: readonly SearchHit[]): Promise<Map<number, Envelope>> {
  const out = new Map<number, Envelope>();
  for (let i = 0; i < hits.length; i += ENVELOPE_BATCH) {
    const rows = await store.getEnvelopes(mailboxId, hits.slice(i, i + ENVELOPE_BATCH).map((h) => h.uid));
    for (const r of rows) out.set(r.uid, r.envelope);
  }
  return out;
}

/** `envelopes` maps UIDs to envelopes; a hit missing there falls back to its loaded structure, if any. */
export function sortHits(hits: SearchHit[], criteria: readonly SortCriterion[], envelopes?: ReadonlyMap<number, Envelope>): SearchHit[] {
  const keyed = hits.map((h) => {
    const env = envelopes?.get(h.uid) ?? h.stored?.structure.envelope;
    return { h, v: criteria.map((c) => sortValue(h, env, c.key)) };
  });
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
    );
    const needEnvelope = cmd.criteria.some((c) => c.key !== 'ARRIVAL' && c.key !== 'SIZE');
    const envelopes = needEnvelope ? await envelopesOf(ctx.deps.store, sel.mailbox.id, hits) : undefined;
    await sendSearchResult(ctx, sortHits(hits, cmd.criteria, envelopes), { uid: cmd.uid, returns: null, modseq: false, verb: 'SORT' });
    return ok(`${cmd.uid ? 'UID ' : ''}SORT completed`);
  },
});
