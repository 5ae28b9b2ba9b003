/**
 * SORT and UID SORT (RFC 5256 §3) with DISPLAYFROM/DISPLAYTO (RFC 5957). Keys: ARRIVAL (internal date),
 * DATE (Date header, else internal date), CC/FROM/TO (first address's mailbox), SUBJECT (base subject), SIZE;
 * REVERSE per key; ties fall back to sequence order (§3). The keys are read as columns (Store.getSortKeys:
 * computed once per body at delivery, mail/sort-keys.ts), never from the message bytes; `SORT (...) charset ALL`
 * does not even run the search, it takes the view's UIDs.
 */
import type { NumericSortKeyName, SortKeyName } from '../../../../store/types.js';
import { defineCommand, ok, type SessionContext } from '../command.js';
import { runSearch } from '../search-eval.js';
import { SELECTED, type SelectedState } from '../state.js';
import type { SearchKey, SortCriterion } from '../../proto/index.js';

const KEY_NAMES: Record<SortCriterion['key'], SortKeyName> = {
  ARRIVAL: 'arrival',
  DATE: 'date',
  SIZE: 'size',
  SUBJECT: 'subject',
  FROM: 'from',
  TO: 'to',
  CC: 'cc',
  DISPLAYFROM: 'displayfrom',
  DISPLAYTO: 'displayto',
};

const NUMERIC_KEYS = new Set<SortKeyName>(['arrival', 'date', 'size']);

/** Rows per store call. */
const KEY_BATCH = 50_000;

/** Does the search key match every message (ALL, or an AND of ALLs)? */
function matchesAll(k: SearchKey): boolean {
  return k.kind === 'all' || (k.kind === 'and' && k.keys.every(matchesAll));
}

/**
 * Sorts `uids` (ascending, so their order is sequence order) by `criteria` given `values[i][j]`, the value
 * of criterion i for uids[j]. Returns the positions in sorted order. Strings compare by UTF-16 code units.
 */
export function sortOrder(count: number, criteria: readonly SortCriterion[], values: ReadonlyArray<ArrayLike<number | string>>): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const n = criteria.length;
  const sign = criteria.map((c) => (c.reverse ? -1 : 1));
  order.sort((a, b) => {
    for (let i = 0; i < n; i++) {
      const col = values[i]!;
      const x = col[a]!;
      const y = col[b]!;
      if (x < y) return -sign[i]!;
      if (x > y) return sign[i]!;
    }
    return a - b; // RFC 5256 §3: ties in sequence order
  });
  return order;
}

/**
 * The members of `uids` that are in the view (ascending `viewUids`), in the order given, as UIDs or sequence
 * numbers. A dense UID range uses a lookup table instead of one binary search per UID.
 */
export function toViewIds(viewUids: ArrayLike<number>, uids: readonly number[], asUids: boolean): number[] {
  const ids: number[] = [];
  const n = viewUids.length;
  if (n === 0) return ids;
  const first = viewUids[0]!;
  const span = viewUids[n - 1]! - first + 1;
  if (span <= 4 * n + 1024) {
    const seqs = new Uint32Array(span);
    for (let i = 0; i < n; i++) seqs[viewUids[i]! - first] = i + 1;
    for (const uid of uids) {
      const k = uid - first;
      const seq = k >= 0 && k < span ? seqs[k]! : 0;
      if (seq) ids.push(asUids ? uid : seq);
    }
    return ids;
  }
  for (const uid of uids) {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (viewUids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    if (viewUids[lo] === uid) ids.push(asUids ? uid : lo + 1);
  }
  return ids;
}

/** RFC 5256 §4 `* SORT` followed by the numbers, one write. */
async function sendSort(ctx: SessionContext, ids: readonly number[]): Promise<void> {
  await ctx.write(Buffer.from(`* SORT${ids.length ? ' ' : ''}${ids.join(' ')}\r\n`, 'latin1'));
}

export const sortCommand = defineCommand({
  names: ['SORT'],
  states: SELECTED,
  async run(ctx, cmd) {
    const sel = ctx.state as SelectedState;
    const store = ctx.deps.store;
    const mailboxId = sel.mailbox.id;
    if (matchesAll(cmd.search) && cmd.criteria.every((c) => NUMERIC_KEYS.has(KEY_NAMES[c.key]))) {
      // The whole mailbox by dates or sizes: SQLite sorts; the UIDs not (or no longer) in the view are dropped.
      const sorted = await store.getSortedUids(
        mailboxId,
        cmd.criteria.map((c) => ({ key: KEY_NAMES[c.key] as NumericSortKeyName, reverse: c.reverse })),
      );
      await sendSort(ctx, toViewIds(sel.view.uidList, sorted, cmd.uid));
      return ok(`${cmd.uid ? 'UID ' : ''}SORT completed`);
    }
    const wanted = matchesAll(cmd.search)
      ? sel.view.uids
      : (await runSearch({ store, mailboxId, view: sel.view, savedUids: ctx.savedUids }, cmd.search)).map((h) => h.uid);
    const keys = [...new Set(cmd.criteria.map((c) => KEY_NAMES[c.key]))];
    const column = cmd.criteria.map((c) => keys.indexOf(KEY_NAMES[c.key]) + 1);
    const uids: number[] = [];
    const values: Array<Array<number | string>> = cmd.criteria.map(() => []);
    for (let i = 0; i < wanted.length; i += KEY_BATCH) {
      // Messages expunged by another session but not yet announced come back missing, as in SEARCH.
      for (const r of await store.getSortKeys(mailboxId, wanted.slice(i, i + KEY_BATCH), keys)) {
        uids.push(r[0] as number);
        for (let c = 0; c < column.length; c++) values[c]!.push(r[column[c]!]!);
      }
    }
    const order = sortOrder(uids.length, cmd.criteria, values);
    const ids = new Array<number>(order.length);
    for (let i = 0; i < order.length; i++) {
      const uid = uids[order[i]!]!;
      ids[i] = cmd.uid ? uid : sel.view.seqOf(uid);
    }
    await sendSort(ctx, ids);
    return ok(`${cmd.uid ? 'UID ' : ''}SORT completed`);
  },
});
