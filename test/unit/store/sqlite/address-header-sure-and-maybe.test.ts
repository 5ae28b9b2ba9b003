/**
 * Store.searchHeader tells exact SEARCH FROM/TO/CC/BCC matches ("sure") from candidates that need IMAP's check
 * ("maybe"), with searchSubject's rules: sure only for a body with a body_header_texts row, a per-recipient prefix
 * that has no line starting a field of that name (Delivered-To does not count for TO), ends with a line feed and
 * holds no empty line, and a needle without "\n", "\r", NUL or U+FFFD. Every answer is also checked against IMAP's
 * exact test (MessageFields.header over prefix + header, RFC 9051 §6.4.4): sure UIDs match, UIDs in neither list do
 * not. Migration 8 fills the texts for bodies stored before it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AddressHeaderName } from '../../../../src/mail/search-text.js';
import { MessageFields } from '../../../../src/protocols/imap/server/message-fields.js';
import type { SqliteStore } from '../../../../src/store/sqlite/sqlite-store.js';
import { makeTempStoreWithInbox, openStoreAt, type TempStore } from '../../../helpers/store-temp.js';
import { putBody } from '../../../helpers/store-fixtures.js';

/** A distinct body each time (equal bytes would share one body row). */
let seq = 0;
function raw(headers: string): Buffer {
  return Buffer.from(`${headers}Subject: s\r\nMessage-ID: <${++seq}@example.test>\r\n\r\nbody\r\n`);
}

const PLAIN = 'Return-Path: <x@example.test>\r\nDelivered-To: bob@example.test\r\n';
const USUAL =
  'From: Alice Example <alice@example.test>\r\nTo: Bob <bob@example.test>\r\nCc: Carol <carol@example.test>\r\n' +
  'Bcc: Dave <dave@example.test>\r\n';
const FIELDS: AddressHeaderName[] = ['from', 'to', 'cc', 'bcc'];

/** Maybe for every field: no row (10), prefix without a final LF (12), with an empty line (13), leading continuation (14). */
const MAYBE_ALL = [10, 12, 13, 14];
/** A prefix line that starts a field of that name: 5 "To:", 6 "to :", 7 "FROM\t:", 8 "cc:", 9 "bcc :". */
const MAYBE: Record<AddressHeaderName, number[]> = {
  from: [7, ...MAYBE_ALL],
  to: [5, 6, ...MAYBE_ALL],
  cc: [8, ...MAYBE_ALL],
  bcc: [9, ...MAYBE_ALL],
};
const USUAL_UIDS = [1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const sureOf = (field: AddressHeaderName, uids: number[]): number[] => uids.filter((u) => !MAYBE[field].includes(u));

describe('SqliteStore.searchHeader: sure matches and maybe candidates for FROM, TO, CC, BCC', () => {
  let t: TempStore;
  let store: SqliteStore;
  let mb: number;
  before(async () => {
    const s = await makeTempStoreWithInbox();
    t = s;
    store = s.store;
    mb = s.inbox;
    const add = async (headers: string, prefix: string, index = true): Promise<void> => {
      // putBody stores the subject and address texts as delivery and IMAP APPEND do.
      await store.appendMessage(mb, await putBody(store, raw(headers), { index }), { prefix });
    };
    await add(USUAL, PLAIN); // 1: plain prefix
    await add(
      'From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.test>\r\nTo: =?utf-8?q?Zo=C3=AB_Bl=C3=BCm?= <zoe@example.test>\r\n' +
        'Cc: =?UTF-8?Q?=C3=85sa?= <asa@example.test>\r\nBcc: =?utf-8?b?w4ltaWxl?= <emile@example.test>\r\n',
      PLAIN,
    ); // 2: encoded words
    await add(
      'From: one@example.test\r\nTo: first@example.test\r\nCC: a1@example.test\r\nBcc: b1@example.test\r\n' +
        'from: two@example.test\r\nTO : second@example.test\r\ncc: a2@example.test\r\nBCC: b2@example.test\r\n',
      PLAIN,
    ); // 3: two fields of each name
    await add('', PLAIN); // 4: no address field
    await add(USUAL, 'Return-Path: <x@example.test>\r\nTo: extra@example.test\r\nDelivered-To: bob@example.test\r\n'); // 5
    await add(USUAL, 'Return-Path: <x@example.test>\r\nto : extra@example.test\r\n'); // 6
    await add(USUAL, 'FROM\t: extra@example.test\r\n'); // 7
    await add(USUAL, 'cc:extra@example.test\r\n'); // 8
    await add(USUAL, 'bcc :extra@example.test\r\n'); // 9
    await add(USUAL, PLAIN, false); // 10: body without a body_header_texts row
    await add(USUAL, ''); // 11: no prefix
    await add(USUAL, 'Return-Path: <x@example.test>'); // 12: prefix without a final line feed
    await add(USUAL, 'Return-Path: <x@example.test>\r\n\r\n'); // 13: prefix holds an empty line
    await add(` continued\r\n${USUAL}`, PLAIN); // 14: header starts with a continuation line
    await add(USUAL, `${PLAIN}X-To: a\r\nTox: b\r\nFromage: c\r\nCcc: d\r\nX-Bcc: e\r\n`); // 15: lines that only resemble
  });
  after(async () => {
    await t.cleanup();
  });

  /** IMAP's exact answer for every message (the general path of search-eval.ts). */
  async function exact(field: AddressHeaderName, needle: string): Promise<number[]> {
    const uids = (await store.listMessages(mb)).map((s) => s.uid);
    const out: number[] = [];
    for (const m of await store.getMessages(mb, uids)) {
      const values = await new MessageFields(store.blobs, m).header(field);
      const hit = values.length > 0 && (needle === '' || values.some((v) => v.toLowerCase().includes(needle.toLowerCase())));
      if (hit) out.push(m.uid);
    }
    return out;
  }

  async function check(field: AddressHeaderName, needle: string, want: { sure: number[]; maybe: number[] }): Promise<void> {
    const got = await store.searchHeader(mb, field, needle);
    const label = `${field} ${JSON.stringify(needle)}`;
    assert.deepEqual(got, { sure: sorted(want.sure), maybe: sorted(want.maybe) }, label);
    const truth = await exact(field, needle);
    for (const u of got.sure) assert.ok(truth.includes(u), `sure ${u} for ${label} does not match`);
    for (const u of truth) assert.ok(got.sure.includes(u) || got.maybe.includes(u), `match ${u} for ${label} left out`);
  }

  it('a plain prefix (with Delivered-To) and no prefix are sure; a prefix line starting the field makes a maybe', async () => {
    await check('from', 'ALICE', { sure: sureOf('from', USUAL_UIDS), maybe: MAYBE.from });
    await check('to', 'bob', { sure: sureOf('to', USUAL_UIDS), maybe: MAYBE.to });
    await check('cc', 'Carol', { sure: sureOf('cc', USUAL_UIDS), maybe: MAYBE.cc });
    await check('bcc', 'dave@EXAMPLE', { sure: sureOf('bcc', USUAL_UIDS), maybe: MAYBE.bcc });
    // IMAP's own answer for the prefix lines: each adds a field of its name, so "extra" matches there.
    assert.deepEqual(await exact('to', 'extra'), [5, 6]);
    assert.deepEqual(await exact('from', 'extra'), [7]);
    assert.deepEqual(await exact('cc', 'extra'), [8]);
    assert.deepEqual(await exact('bcc', 'extra'), [9]);
    for (const f of FIELDS) await check(f, 'extra', { sure: [], maybe: MAYBE[f] });
    // Delivered-To holds bob@example.test, yet TO "delivered" or "bob@example.test" is not answered from it.
    assert.deepEqual(await exact('to', 'bob@example.test'), USUAL_UIDS.filter((u) => u !== 13)); // 13's is past the header's end
  });

  it('encoded-word display names are matched by their decoded text, case-insensitively', async () => {
    await check('from', 'MÜLLER', { sure: [2], maybe: MAYBE.from });
    await check('to', 'zoë blüm', { sure: [2], maybe: MAYBE.to });
    await check('cc', 'ÅSA <', { sure: [2], maybe: MAYBE.cc });
    await check('bcc', 'émile', { sure: [2], maybe: MAYBE.bcc });
    await check('from', '=?utf-8?', { sure: [], maybe: MAYBE.from });
  });

  it('every field of the name counts, but a needle never spans two of them', async () => {
    for (const [f, a, b] of [
      ['from', 'one@', 'two@'],
      ['to', 'first', 'second'],
      ['cc', 'a1@', 'a2@'],
      ['bcc', 'b1@', 'b2@'],
    ] as const) {
      await check(f, a, { sure: [3], maybe: MAYBE[f] });
      await check(f, b, { sure: [3], maybe: MAYBE[f] });
      await check(f, `test ${b}`, { sure: [], maybe: MAYBE[f] });
    }
  });

  it('an empty needle is sure for every message with the field and leaves out those without one', async () => {
    for (const f of FIELDS) await check(f, '', { sure: sureOf(f, [2, 3, ...USUAL_UIDS]), maybe: MAYBE[f] });
  });

  it('a needle with a line feed, carriage return, NUL or U+FFFD makes every candidate a maybe', async () => {
    await check('to', 'first@example.test\nto', { sure: [], maybe: MAYBE.to });
    await check('to', 'first@example.test\nsecond', { sure: [], maybe: [3, ...MAYBE.to] });
    await check('from', 'alice\r', { sure: [], maybe: MAYBE.from });
    await check('cc', 'carol\u0000', { sure: [], maybe: MAYBE.cc });
    await check('bcc', '\uFFFD', { sure: [], maybe: MAYBE.bcc });
  });

  it('refuses a header name it keeps no text for', async () => {
    await assert.rejects(store.searchHeader(mb, 'subject' as AddressHeaderName, 'x'), /no search text for header subject/);
  });

  it('migration 8 fills body_header_texts for the bodies stored before it', async () => {
    const path = join(t.dir, 'pochta.db');
    const answers = async (): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const f of FIELDS) for (const n of ['', 'alice', 'bob', 'müller', 'second']) out.push(await store.searchHeader(mb, f, n));
      return out;
    };
    const rowsOf = (): unknown[] => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT body_id, from_text, to_text, cc_text, bcc_text FROM body_header_texts ORDER BY body_id').raw().all();
      } finally {
        db.close();
      }
    };
    const beforeAnswers = await answers();
    await store.close();
    const beforeRows = rowsOf();
    const db = new Database(path);
    db.exec('DROP TABLE body_header_texts');
    db.pragma('user_version = 7');
    db.close();
    store = await openStoreAt(t.dir);
    t.store = store;
    const rows = rowsOf() as unknown[][];
    // Body 10 was stored without search text; the backfill reads its header from the blob.
    assert.deepEqual(
      rows.filter((r) => r[0] !== 10),
      beforeRows,
    );
    assert.deepEqual(rows.find((r) => r[0] === 10), [
      10,
      'alice example <alice@example.test>',
      'bob <bob@example.test>',
      'carol <carol@example.test>',
      'dave <dave@example.test>',
    ]);
    assert.deepEqual(rows.find((r) => r[0] === 2), [2, 'jürgen müller <jm@example.test>', 'zoë blüm <zoe@example.test>', 'åsa <asa@example.test>', 'émile <emile@example.test>']);
    assert.deepEqual(rows.find((r) => r[0] === 3)?.slice(2), ['first@example.test\nsecond@example.test', 'a1@example.test\na2@example.test', 'b1@example.test\nb2@example.test']);
    assert.deepEqual(rows.find((r) => r[0] === 4), [4, null, null, null, null]);
    assert.equal(rows.find((r) => r[0] === 14), undefined); // leading continuation: no row
    // The same answers, except that 10 now has a row: sure where its prefix allows.
    const after = await answers();
    assert.notDeepEqual(after, beforeAnswers);
    assert.deepEqual(await store.searchHeader(mb, 'from', 'alice'), { sure: [1, 5, 6, 8, 9, 10, 11, 15], maybe: [7, 12, 13, 14] });
  });
});
