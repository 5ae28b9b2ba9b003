/**
 * Store.searchFlag gives the UIDs of the messages that have (or lack) a flag, ascending, comparing flags as IMAP
 * SEARCH compares MessageSummary.flags: toLowerCase on both sides (RFC 3501 §2.3.2), for system flags in any
 * spelling, keywords stored in different spellings on different messages, non-ASCII keywords (the Kelvin sign
 * lower-cases to an ASCII "k"), \Recent and unknown system flags (on no message), expunged messages (gone), and a
 * mailbox with more distinct keyword lists than the per-list probing reads. Every answer is checked against the
 * flags listMessages returns.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SqliteStore } from '../../../../src/store/sqlite/sqlite-store.js';
import { makeRawMessage, putBody } from '../../../helpers/store-fixtures.js';
import { makeTempStoreWithInbox, type TempStore } from '../../../helpers/store-temp.js';

/** Flags of UIDs 1.. in order; UID 5 and 9 are expunged below. */
const FLAGS: string[][] = [
  ['\\Seen'],
  ['\\Flagged', '$Work'],
  [],
  ['\\Seen', '\\Answered', '$WORK', 'Later'],
  ['\\Seen', '\\Deleted', '$Work'],
  ['\\Draft', '$work', 'later'],
  ['\\Seen', '\\Flagged', '\\Deleted', '\\Answered', '\\Draft'],
  ['\u212Aey', 'Ärger'],
  ['\\Flagged', 'key'],
  ['ärger', '$Other'],
];

const NAMES = [
  '\\Seen',
  '\\SEEN',
  '\\seen',
  '\\Flagged',
  '\\fLaGgEd',
  '\\Answered',
  '\\Deleted',
  '\\deleted',
  '\\Draft',
  '\\Recent',
  '\\recent',
  '\\Bogus',
  '$Work',
  '$work',
  '$WORK',
  'later',
  'LATER',
  'key',
  'KEY',
  '\u212Aey',
  'ärger',
  'ÄRGER',
  '$Other',
  'nothere',
  'Seen',
  '$Work Later',
];

describe('SqliteStore.searchFlag', () => {
  let t: TempStore;
  let store: SqliteStore;
  let mb: number;
  let accountId: number;

  /** What SEARCH's check answers from the listed flags. */
  const expected = async (mailbox: number, flag: string, present: boolean): Promise<number[]> => {
    const f = flag.toLowerCase();
    return (await store.listMessages(mailbox)).filter((s) => s.flags.some((x) => x.toLowerCase() === f) === present).map((s) => s.uid);
  };

  before(async () => {
    const s = await makeTempStoreWithInbox();
    t = s;
    store = s.store;
    mb = s.inbox;
    accountId = s.accountId;
    for (const [i, flags] of FLAGS.entries()) {
      await store.appendMessage(mb, await putBody(store, makeRawMessage(`Message ${i + 1}`, 'text')), { flags });
    }
    await store.expunge(mb, { uids: [5, 9], onlyDeleted: false });
  });
  after(async () => {
    await t?.cleanup();
  });

  it('answers what the listed flags say, for every spelling, present and absent', async () => {
    for (const name of NAMES) {
      for (const present of [true, false]) {
        const got = await store.searchFlag(mb, name, present);
        assert.deepEqual(got, await expected(mb, name, present), `${name} ${present}`);
      }
    }
  });

  it('by hand: system flags in any case, keyword spellings, \\Recent on no message, expunged messages left out', async () => {
    assert.deepEqual(await store.searchFlag(mb, '\\SEEN', false), [2, 3, 6, 8, 10]);
    assert.deepEqual(await store.searchFlag(mb, '\\seen', true), [1, 4, 7]);
    assert.deepEqual(await store.searchFlag(mb, '\\Flagged', true), [2, 7]);
    assert.deepEqual(await store.searchFlag(mb, '$work', true), [2, 4, 6]);
    assert.deepEqual(await store.searchFlag(mb, '$WORK', false), [1, 3, 7, 8, 10]);
    assert.deepEqual(await store.searchFlag(mb, 'KEY', true), [8]); // "\u212Aey" lower-cases to "key"; 9 is gone
    assert.deepEqual(await store.searchFlag(mb, '\\Recent', true), []);
    assert.deepEqual(await store.searchFlag(mb, '\\Recent', false), [1, 2, 3, 4, 6, 7, 8, 10]);
    assert.deepEqual(await store.searchFlag(mb, '\\Bogus', true), []);
  });

  it('reads every keyword list once a mailbox has more distinct lists than it probes', async () => {
    const other = (await store.createMailbox(accountId, 'Many')).id;
    const body = await putBody(store, makeRawMessage('Many', 'text'));
    for (let i = 0; i < 300; i++) {
      const flags = [`k${i}`, ...(i % 3 === 0 ? ['$Common'] : []), ...(i % 7 === 0 ? ['$COMMON'] : []), ...(i % 2 ? ['\\Seen'] : [])];
      await store.appendMessage(other, body, { flags });
    }
    for (const name of ['$common', 'K17', 'k299', '\\Seen', 'none']) {
      for (const present of [true, false]) {
        assert.deepEqual(await store.searchFlag(other, name, present), await expected(other, name, present), `${name} ${present}`);
      }
    }
    assert.equal((await store.searchFlag(other, '$COMMON', true)).length, 100 + 43 - 15);
  });
});
