/**
 * runSearch without `withStored` (the scans that read no summaries: search-eval.ts scanWithoutSummaries) matches
 * the summary scan (runSearch with `withStored`, which lists every summary) on a few hundred random keys built
 * from SUBJECT (with "maybe" candidates from per-recipient prefixes), flags, keywords, RECENT, sequence and UID
 * sets, LARGER, BODY, MODSEQ, NOT, OR and AND, in a view with expunges not yet announced and new messages not yet
 * seen. Sequence numbers, UIDs and order must be the same; a key with MODSEQ still gets every summary. Flag keys
 * come in every case variant (system flags, keywords stored in several spellings, \Recent, unknown flags), and some
 * flags change after the view opened (not announced); without `withStored` they are answered from the store's flag
 * sets (Store.searchFlag), with it from the summaries. Size and date keys (LARGER, SMALLER, ON, SINCE, BEFORE,
 * SENTON, SENTSINCE, SENTBEFORE, OLDER, YOUNGER) over internal dates and Date headers on day boundaries (zones
 * +1400 and -1200, unreadable and missing Date headers) come from the store's range sets (Store.searchRange)
 * without `withStored`, and from the summaries and stored rows with it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseSequenceSet, type SearchKey } from '../../../../../src/protocols/imap/proto/index.js';
import { openMailboxView, type MailboxView } from '../../../../../src/protocols/imap/server/mailbox-view.js';
import { runSearch, usesModseq, type SearchScope } from '../../../../../src/protocols/imap/server/search-eval.js';
import { makeRawMessage, putBody } from '../../../../helpers/store-fixtures.js';
import { makeTempStoreWithInbox, type TempStore } from '../../../../helpers/store-temp.js';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLAIN = 'Return-Path: <sender@example.net>\r\n';
const PREFIXES = [PLAIN, PLAIN + 'Subject: prefixed report\r\n', 'X-Original-Subject: report\r\n' + PLAIN, ''];
const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '$Work', '$Other'];
/** Date headers around 1-3 Jun 2022 in far zones, unreadable ones, and none (null). */
const DATES = [
  'Wed, 1 Jun 2022 23:30:00 -1200',
  'Thu, 2 Jun 2022 00:30:00 +1400',
  'Fri, 03 Jun 2022 00:00:00 +0000',
  '2 Jun 22 12:00 GMT',
  'Tue, 31 May 2022 23:59:59 -1200',
  'not a date',
  'Fri, 31 Jun 2022 10:00:00 +0000',
  null,
];
const JUN_1 = Date.UTC(2022, 5, 1);
/** The searches' clock: a week after 1 Jun 2022 (OLDER/YOUNGER). */
const NOW = JUN_1 + 7 * 86_400_000;

let t: TempStore & { accountId: number; inbox: number };
let view: MailboxView;

before(async () => {
  t = await makeTempStoreWithInbox();
  const r = rng(7);
  const rd = rng(3);
  const deliver = async (i: number): Promise<void> => {
    const subject = r() < 0.4 ? `Weekly report ${i}` : `Note ${i}`;
    const text = (r() < 0.5 ? 'numbers ' : 'words ') + 'y'.repeat(Math.floor(r() * 3000));
    // Dates from their own generator, so the other draws (and what the keys select) stay as they were.
    const date = DATES[Math.floor(rd() * DATES.length)];
    const raw = makeRawMessage(subject, text);
    const body = await putBody(t.store, date === null ? raw : Buffer.concat([Buffer.from(`Date: ${date}\r\n`), raw]), { index: r() < 0.9 });
    const flags = FLAGS.filter(() => r() < 0.35);
    const prefix = PREFIXES[Math.floor(r() * PREFIXES.length)]!;
    // Internal dates from 31 May to 3 Jun 2022, half of them on a day's first or last millisecond.
    const day = JUN_1 + (Math.floor(rd() * 4) - 1) * 86_400_000;
    const edge = rd();
    const internal = edge < 0.25 ? day : edge < 0.5 ? day + 86_399_999 : day + Math.floor(rd() * 86_400) * 1000;
    await t.store.deliver(body, [{ accountId: t.accountId, mailbox: 'INBOX', flags, prefix }], new Date(internal));
  };
  for (let i = 1; i <= 80; i++) await deliver(i);
  // Keywords in other spellings on other messages, and the rarer system flags.
  await t.store.storeFlags(t.inbox, [2, 5, 8, 11, 14, 40, 41, 70], 'add', ['$WORK']);
  await t.store.storeFlags(t.inbox, [6, 9, 44, 71], 'add', ['$oTHER', '\\Draft']);
  await t.store.storeFlags(t.inbox, [10, 20, 33, 60], 'add', ['\\Deleted']);
  view = await openMailboxView(
    t.store.changes,
    t.inbox,
    { loadUids: (id) => t.store.getMailboxUids(id) },
    { highestModseq: 1, readOnly: false, recentFrom: 30, recentTo: 61 },
  );
  // Expunged by "another session" and not announced: still in the view, gone from the store.
  await t.store.expunge(t.inbox, { uids: [3, 17, 31, 32, 45, 80], onlyDeleted: false });
  // Flags changed by "another session" and not announced.
  await t.store.storeFlags(t.inbox, [4, 12, 13, 50, 66], 'add', ['\\Seen', '$work']);
  await t.store.storeFlags(t.inbox, [1, 7, 15, 51], 'remove', ['\\Seen', '\\Flagged']);
  // New mail not yet announced: in the store, not in the view.
  for (let i = 81; i <= 83; i++) await deliver(i);
});

after(async () => {
  view?.close();
  await t?.cleanup();
});

function randomKey(r: () => number, depth: number): SearchKey {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (depth > 0 && r() < 0.5) {
    const kind = pick(['not', 'or', 'and'] as const);
    if (kind === 'not') return { kind, key: randomKey(r, depth - 1) };
    if (kind === 'or') return { kind, left: randomKey(r, depth - 1), right: randomKey(r, depth - 1) };
    return { kind, keys: [randomKey(r, depth - 1), randomKey(r, depth - 1)] };
  }
  switch (pick(['subject', 'subject', 'flag', 'flag', 'recent', 'seq', 'uid', 'size', 'body', 'all', 'modseq', 'date', 'date', 'age'] as const)) {
    case 'subject':
      return { kind: 'header', field: pick(['subject', 'Subject']), value: pick(['report', 'REPORT', 'prefixed', 'note 1', '']) };
    case 'flag':
      return {
        kind: 'flag',
        flag: pick([
          ...FLAGS,
          ...['$work', '\\Deleted', '\\SEEN', '\\seen', '\\fLaGgEd', '\\answered', '\\Draft', '\\DELETED'],
          ...['\\Recent', '\\Bogus', '$WORK', '$oTHER', '$other', 'nothere'],
        ]),
        present: r() < 0.5,
      };
    case 'recent':
      return { kind: 'recent', present: r() < 0.5 };
    case 'seq':
      return { kind: 'seq', set: parseSequenceSet(pick(['1:10', '20:*', '5,9,33', '70:75', '*'])) };
    case 'uid':
      return { kind: 'uid', set: parseSequenceSet(pick(['1:10', '20:*', '3,17,33', '78:90', '*'])) };
    case 'size':
      return { kind: 'size', op: r() < 0.5 ? 'larger' : 'smaller', size: Math.floor(r() * 3000) };
    case 'body':
      return { kind: 'body', value: pick(['numbers', 'words', '']) };
    case 'modseq':
      return { kind: 'modseq', modseq: Math.floor(r() * 90), entry: null };
    case 'date':
      return {
        kind: 'date',
        field: r() < 0.5 ? 'internal' : 'sent',
        op: pick(['before', 'on', 'since'] as const),
        day: pick([
          { year: 2022, month: 5, day: 31 },
          { year: 2022, month: 6, day: 1 },
          { year: 2022, month: 6, day: 2 },
          { year: 2022, month: 6, day: 3 },
          { year: 2022, month: 7, day: 1 },
        ]),
      };
    case 'age': {
      // Whole days from NOW (on a day's first millisecond) and odd second counts in between.
      const seconds = r() < 0.5 ? (5 + Math.floor(r() * 4)) * 86_400 : 4 * 86_400 + Math.floor(r() * 4 * 86_400);
      return { kind: 'age', op: r() < 0.5 ? 'older' : 'younger', seconds };
    }
    case 'all':
      return { kind: 'all' };
  }
}

/** Compares both scans on `n` random keys; returns how many selected some but not all messages. */
async function compareScans(seed: number, n: number): Promise<number> {
  const scope: SearchScope = { store: t.store, mailboxId: t.inbox, view, savedUids: null, now: NOW };
  const r = rng(seed);
  let nonEmpty = 0;
  for (let i = 0; i < n; i++) {
    const key = randomKey(r, 3);
    const want = (await runSearch(scope, key, { withStored: true })).map((h) => [h.seq, h.uid]);
    const hits = await runSearch(scope, key);
    assert.deepEqual(
      hits.map((h) => [h.seq, h.uid]),
      want,
      JSON.stringify(key),
    );
    if (usesModseq(key)) for (const h of hits) assert.ok(h.summary !== null && h.summary.uid === h.uid, 'a MODSEQ key reads summaries');
    if (want.length > 0 && want.length < 74) nonEmpty++;
  }
  return nonEmpty;
}

test('the scans without summaries answer what the summary scan answers', async () => {
  assert.equal(view.exists, 80);
  assert.ok(view.isExpunged(31), 'the expunges are pending in the view');
  const nonEmpty = await compareScans(11, 300);
  assert.ok(nonEmpty > 100, `enough keys select some but not all messages (${nonEmpty})`);
});

test('flag keys read the store flag sets, not a flag listing or summaries', async () => {
  const asked: string[] = [];
  const store = new Proxy(t.store, {
    get(target, prop, receiver) {
      if (prop === 'listFlagText' || prop === 'listMessages') throw new Error(`flag keys read ${String(prop)}`);
      if (prop === 'searchFlag') {
        return (mailboxId: number, flag: string, present: boolean) => {
          asked.push(`${flag} ${present}`);
          return target.searchFlag(mailboxId, flag, present);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const scope: SearchScope = { store, mailboxId: t.inbox, view, savedUids: null };
  const want = async (key: SearchKey): Promise<number[]> =>
    (await runSearch({ ...scope, store: t.store }, key, { withStored: true })).map((h) => h.uid);
  const keys: SearchKey[] = [
    { kind: 'flag', flag: '\\SEEN', present: false },
    { kind: 'not', key: { kind: 'flag', flag: '\\Seen', present: true } },
    { kind: 'flag', flag: '$WORK', present: true },
    { kind: 'or', left: { kind: 'flag', flag: '\\Deleted', present: false }, right: { kind: 'flag', flag: '$other', present: true } },
  ];
  for (const key of keys) {
    const hits = await runSearch(scope, key);
    assert.deepEqual(
      hits.map((h) => h.uid),
      await want(key),
      JSON.stringify(key),
    );
    assert.ok(hits.every((h) => h.summary === null));
  }
  // \Seen is asked once per search, as its unseen side (an index), whatever the spelling.
  assert.deepEqual(asked, ['\\SEEN false', '\\Seen false', '$WORK true', '\\Deleted true', '$other true']);
  const unseen = (await runSearch(scope, keys[0]!)).map((h) => h.uid);
  for (const u of [1, 7, 15, 51]) assert.ok(unseen.includes(u), `UID ${u} was made unseen after the view opened`);
  for (const u of [4, 12, 13, 50, 66, 3, 17, 31, 81]) assert.ok(!unseen.includes(u), `UID ${u}`);
});

test('size and date keys read the store range sets, not summaries nor stored rows', async () => {
  const asked: string[] = [];
  const store = new Proxy(t.store, {
    get(target, prop, receiver) {
      if (prop === 'listFlagText' || prop === 'listMessages' || prop === 'getMessages') throw new Error(`range keys read ${String(prop)}`);
      if (prop === 'searchRange') {
        return (mailboxId: number, field: 'size' | 'internalDate' | 'sentDate', min: number | null, max: number | null) => {
          asked.push(`${field} ${min} ${max}`);
          return target.searchRange(mailboxId, field, min, max);
        };
      }
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const scope: SearchScope = { store, mailboxId: t.inbox, view, savedUids: null, now: NOW };
  const jun2 = { year: 2022, month: 6, day: 2 };
  const keys: SearchKey[] = [
    { kind: 'size', op: 'larger', size: 1000 },
    { kind: 'not', key: { kind: 'size', op: 'smaller', size: 1000 } },
    { kind: 'date', field: 'internal', op: 'on', day: jun2 },
    { kind: 'date', field: 'sent', op: 'since', day: jun2 },
    { kind: 'or', left: { kind: 'date', field: 'sent', op: 'before', day: jun2 }, right: { kind: 'age', op: 'younger', seconds: 5 * 86_400 } },
    { kind: 'and', keys: [{ kind: 'date', field: 'sent', op: 'on', day: jun2 }, { kind: 'flag', flag: '\\Seen', present: false }] },
  ];
  for (const key of keys) {
    const hits = await runSearch(scope, key);
    const want = (await runSearch({ ...scope, store: t.store }, key, { withStored: true })).map((h) => [h.seq, h.uid]);
    assert.deepEqual(
      hits.map((h) => [h.seq, h.uid]),
      want,
      JSON.stringify(key),
    );
    assert.ok(want.length > 0 && want.length < view.exists, `${JSON.stringify(key)} selects some (${want.length})`);
    assert.ok(hits.every((h) => h.summary === null));
  }
  const day = (d: number): number => JUN_1 + d * 86_400_000;
  assert.deepEqual(asked, [
    'size 1001 null',
    'size null 1000',
    `internalDate ${day(1)} ${day(2)}`,
    `sentDate ${day(1)} null`,
    `sentDate null ${day(1)}`,
    `internalDate ${NOW - 5 * 86_400_000} null`,
    `sentDate ${day(1)} ${day(2)}`,
  ]);
});

test('NOT SUBJECT leaves out the expunged and the unannounced messages', async () => {
  const scope: SearchScope = { store: t.store, mailboxId: t.inbox, view, savedUids: null };
  const hits = await runSearch(scope, { kind: 'not', key: { kind: 'header', field: 'subject', value: 'zzz never' } });
  const uids = hits.map((h) => h.uid);
  assert.equal(uids.length, 74);
  for (const gone of [3, 17, 31, 32, 45, 80, 81, 82, 83]) assert.ok(!uids.includes(gone), `UID ${gone}`);
  assert.ok(hits.every((h) => h.seq === h.uid), 'sequence numbers of the view (no expunge announced yet)');
});

test('after the expunges are announced, sequence numbers follow the new view', async () => {
  const scope: SearchScope = { store: t.store, mailboxId: t.inbox, view, savedUids: null };
  const f = view.flush(true);
  assert.deepEqual(f.expungedUids, [3, 17, 31, 32, 45, 80]);
  assert.equal(view.exists, 77); // 74 left and 81-83 announced
  await t.store.expunge(t.inbox, { uids: [50], onlyDeleted: false }); // pending again
  const hits = await runSearch(scope, { kind: 'uid', set: parseSequenceSet('49:51,83') });
  assert.deepEqual(
    hits.map((h) => [h.seq, h.uid]),
    [
      [44, 49],
      [46, 51],
      [77, 83],
    ],
  );
  await compareScans(13, 120);
});
