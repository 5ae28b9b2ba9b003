/**
 * Store.searchRange (SEARCH size and date keys): UIDs whose size, internal date or sent day lies in [min, max),
 * ascending, of one mailbox only. The sent day is migration 9's per-body column (mail/sent-day.ts sentDayMs, the
 * day the IMAP check reads from the envelope's Date), the internal date standing in where the Date gives none;
 * it is written at delivery, and the migration fills it for the bodies of an older database with the same values.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sentDay, sentDayMs } from '../../../../src/mail/sent-day.js';
import type { SqliteStore } from '../../../../src/store/sqlite/sqlite-store.js';
import { makeRawMessage, putBody } from '../../../helpers/store-fixtures.js';
import { makeTempStoreWithInbox, openStoreAt, type TempStore } from '../../../helpers/store-temp.js';

const DAY = 86_400_000;
const JUN_1 = Date.UTC(2022, 5, 1);

/** UID i + 1: its Date header (null: none) and internal date. */
const MESSAGES: Array<{ date: string | null; internal: number }> = [
  { date: 'Wed, 1 Jun 2022 23:30:00 -1200', internal: JUN_1 + DAY + 41_400_000 },
  { date: 'Thu, 2 Jun 2022 00:30:00 +1400', internal: JUN_1 + 37_800_000 },
  { date: null, internal: JUN_1 - 1 },
  { date: 'not a date at all', internal: JUN_1 + DAY },
  { date: '3 Jun 22 01:00 +0000', internal: JUN_1 + 2 * DAY + 43_200_000 },
  { date: 'Fri, 31 Jun 2022 10:00:00 +0000', internal: JUN_1 },
];

describe('SqliteStore.searchRange', () => {
  let t: TempStore & { accountId: number; inbox: number };
  let other: number;
  const sizes: number[] = [];

  before(async () => {
    t = await makeTempStoreWithInbox();
    other = (await t.store.createMailbox(t.accountId, 'Other')).id;
    for (const [i, m] of MESSAGES.entries()) {
      const raw = makeRawMessage(`range ${i + 1}`, 'x'.repeat(100 * i));
      const body = await putBody(t.store, m.date === null ? raw : Buffer.concat([Buffer.from(`Date: ${m.date}\r\n`), raw]));
      await t.store.deliver(body, [{ accountId: t.accountId, mailbox: 'INBOX', flags: [], prefix: '' }], new Date(m.internal));
      sizes.push(body.size);
    }
    // Another mailbox's messages never answer.
    const body = await putBody(t.store, makeRawMessage('elsewhere', 'y'));
    await t.store.deliver(body, [{ accountId: t.accountId, mailbox: 'Other', flags: [], prefix: '' }], new Date(JUN_1));
  });
  after(async () => {
    await t?.cleanup();
  });

  it('reads sent days as the IMAP check does', () => {
    assert.deepEqual(sentDay('3 Jun 22 01:00 +0000'), { year: 2022, month: 6, day: 3 });
    assert.equal(sentDayMs('Fri, 31 Jun 2022 10:00:00 +0000'), Date.UTC(2022, 6, 1)); // rolls over
    assert.equal(sentDayMs('Wed, 1 Jun 2022 23:30:00 -1200'), JUN_1); // the day as written, not in UTC
    assert.equal(sentDayMs('not a date at all'), null);
    assert.equal(sentDayMs(null), null);
  });

  it('answers sizes, internal dates and sent days in [min, max)', async () => {
    const s = t.store;
    const where = (p: (n: number) => boolean): number[] => sizes.flatMap((n, i) => (p(n) ? [i + 1] : []));
    assert.deepEqual(await s.searchRange(t.inbox, 'size', sizes[2]!, null), where((n) => n >= sizes[2]!));
    assert.deepEqual(await s.searchRange(t.inbox, 'size', null, sizes[2]!), where((n) => n < sizes[2]!));
    assert.deepEqual(await s.searchRange(t.inbox, 'size', null, null), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await s.searchRange(t.inbox, 'internalDate', JUN_1, JUN_1 + DAY), [2, 6]);
    assert.deepEqual(await s.searchRange(t.inbox, 'internalDate', null, JUN_1), [3]);
    assert.deepEqual(await s.searchRange(t.inbox, 'internalDate', JUN_1 + DAY, null), [1, 4, 5]);
    // Sent days: 1 Jun, 2 Jun, (31 May 23:59:59.999), (2 Jun 00:00), 3 Jun, 1 Jul.
    assert.deepEqual(await s.searchRange(t.inbox, 'sentDate', JUN_1, JUN_1 + DAY), [1]);
    assert.deepEqual(await s.searchRange(t.inbox, 'sentDate', JUN_1 + DAY, JUN_1 + 2 * DAY), [2, 4]);
    assert.deepEqual(await s.searchRange(t.inbox, 'sentDate', null, JUN_1), [3]);
    assert.deepEqual(await s.searchRange(t.inbox, 'sentDate', Date.UTC(2022, 6, 1), null), [6]);
    assert.deepEqual(await s.searchRange(other, 'sentDate', null, null), [1]);
  });

  it('migration 9 fills the sent days of an older database as delivery wrote them', async () => {
    const path = join(t.dir, 'pochta.db');
    const rowsOf = (): unknown[] => {
      const db = new Database(path, { readonly: true });
      try {
        return db.prepare('SELECT body_id, sent_day FROM body_sent_days ORDER BY body_id').raw().all();
      } finally {
        db.close();
      }
    };
    await t.store.close();
    const written = rowsOf();
    assert.equal(written.length, MESSAGES.length + 1);
    assert.deepEqual(written[2], [3, null]);
    assert.deepEqual(written[5], [6, Date.UTC(2022, 6, 1)]);
    const db = new Database(path);
    db.exec('DROP TABLE body_sent_days');
    db.pragma('user_version = 8');
    db.close();
    const store: SqliteStore = await openStoreAt(t.dir);
    t.store = store;
    assert.deepEqual(rowsOf(), written);
    assert.deepEqual(await store.searchRange(t.inbox, 'sentDate', JUN_1 + DAY, JUN_1 + 2 * DAY), [2, 4]);
  });
});
