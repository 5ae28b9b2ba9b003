/**
 * Store.searchSubject tells exact SEARCH SUBJECT matches ("sure") from candidates that need IMAP's check ("maybe"):
 * a message is sure only when its body has a stored subject row and its per-recipient prefix cannot change how
 * prefix + header parses, and only for needles without "\n", "\r", NUL or U+FFFD. Every answer is also checked
 * against IMAP's exact test (MessageFields.header over prefix + header, RFC 9051 §6.4.4): sure UIDs match, UIDs in
 * neither list do not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MessageFields } from '../../../../src/protocols/imap/server/message-fields.js';
import type { SqliteStore } from '../../../../src/store/sqlite/sqlite-store.js';
import { makeTempStoreWithInbox, type TempStore } from '../../../helpers/store-temp.js';
import { putBody } from '../../../helpers/store-fixtures.js';

function raw(headers: string): Buffer {
  return Buffer.from(`${headers}From: a@example.test\r\n\r\nbody\r\n`);
}

const PLAIN = 'Return-Path: <x@example.test>\r\nDelivered-To: bob@example.test\r\n';

describe('SqliteStore.searchSubject: sure matches and maybe candidates', () => {
  let t: TempStore;
  let store: SqliteStore;
  let mb: number;
  before(async () => {
    const s = await makeTempStoreWithInbox();
    t = s;
    store = s.store;
    mb = s.inbox;
    const add = async (headers: string, prefix: string, index = true): Promise<void> => {
      await store.appendMessage(mb, await putBody(store, raw(headers), { index }), { prefix });
    };
    await add('Subject: Quarterly Report\r\n', PLAIN); // 1: plain prefix
    await add('Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=\r\n', PLAIN); // 2: encoded word
    await add('Subject: First one\r\nSubject: Second report\r\n', PLAIN); // 3: two Subject fields
    await add('To: c@example.test\r\n', PLAIN); // 4: no Subject field
    await add('Subject: weekly report\r\n', 'X-Original-Subject: nothing\r\n'); // 5: prefix mentions Subject
    await add('Subject: report again\r\n', 'Return-Path: <x@example.test>'); // 6: prefix without a final line feed
    await add('Subject: unindexed report\r\n', PLAIN, false); // 7: body without a body_subjects row
    await add('Subject: Report card\r\n', ''); // 8: no prefix
    await add(' continued\r\nSubject: stray report\r\n', PLAIN); // 9: header starts with a continuation line
    await add('Subject: report\r\n', 'Return-Path: <x@example.test>\r\n\r\n'); // 10: prefix holds an empty line
    await add('To: c@example.test\r\n', ''); // 11: no Subject field, no prefix
  });
  after(async () => {
    await t.cleanup();
  });

  /** IMAP's exact answer for every message (the general path of search-eval.ts). */
  async function exact(needle: string): Promise<number[]> {
    const uids = (await store.listMessages(mb)).map((s) => s.uid);
    const out: number[] = [];
    for (const m of await store.getMessages(mb, uids)) {
      const values = await new MessageFields(store.blobs, m).header('subject');
      const hit = values.length > 0 && (needle === '' || values.some((v) => v.toLowerCase().includes(needle.toLowerCase())));
      if (hit) out.push(m.uid);
    }
    return out;
  }

  async function check(needle: string, want: { sure: number[]; maybe: number[] }): Promise<void> {
    const got = await store.searchSubject(mb, needle);
    assert.deepEqual(got, want, JSON.stringify(needle));
    const truth = await exact(needle);
    for (const u of got.sure) assert.ok(truth.includes(u), `sure ${u} for ${JSON.stringify(needle)} does not match`);
    for (const u of truth) assert.ok(got.sure.includes(u) || got.maybe.includes(u), `match ${u} for ${JSON.stringify(needle)} left out`);
  }

  const MAYBE = [5, 6, 7, 9, 10];

  it('plain prefixes and no prefix are sure; a prefix mentioning Subject, without a final LF or with an empty line is maybe', async () => {
    await check('REPORT', { sure: [1, 3, 8], maybe: MAYBE });
    await check('report', { sure: [1, 3, 8], maybe: MAYBE });
    // IMAP's own answer for the maybes: 6's Subject line is glued to the prefix's Return-Path, 10's is past the header end.
    assert.deepEqual(await exact('report'), [1, 3, 5, 7, 8, 9]);
  });

  it('an encoded-word subject is matched by its decoded text, case-insensitively', async () => {
    await check('MÜNCHEN', { sure: [2], maybe: MAYBE });
    await check('grüße aus', { sure: [2], maybe: MAYBE });
    await check('=?utf-8?', { sure: [], maybe: MAYBE });
  });

  it('every Subject field counts, but a needle never spans two of them', async () => {
    await check('first', { sure: [3], maybe: MAYBE });
    await check('second', { sure: [3], maybe: MAYBE });
    await check('one second', { sure: [], maybe: MAYBE });
  });

  it('an empty needle is sure for every message with a Subject field, and leaves out those without one', async () => {
    await check('', { sure: [1, 2, 3, 8], maybe: MAYBE });
  });

  it('a needle with a line feed, carriage return, NUL or U+FFFD makes every candidate a maybe', async () => {
    await check('one\nsecond', { sure: [], maybe: [3, ...MAYBE].sort((a, b) => a - b) });
    await check('report\r', { sure: [], maybe: MAYBE });
    await check('rep\u0000', { sure: [], maybe: MAYBE });
    await check('\uFFFD', { sure: [], maybe: MAYBE });
  });
});
