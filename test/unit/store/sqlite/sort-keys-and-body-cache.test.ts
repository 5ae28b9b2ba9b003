import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../../../../src/store/sqlite/migrations.js';
import type { SqliteStore } from '../../../../src/store/sqlite/sqlite-store.js';
import { makeTempStoreWithInbox, type TempStore } from '../../../helpers/store-temp.js';
import { putBody } from '../../../helpers/store-fixtures.js';

function raw(subject: string, date: string | null, from: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: Bob <bob@example.test>\r\nSubject: ${subject}\r\n${date ? `Date: ${date}\r\n` : ''}\r\nbody\r\n`);
}

describe('SQLite sort keys (migration 4)', () => {
  it('backfills the sort keys of bodies stored before the migration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pochta-mig4-'));
    const db = new Database(join(dir, 'x.db'));
    try {
      for (let v = 0; v < 3; v++) MIGRATIONS[v]!(db);
      db.pragma('user_version = 3');
      const env = (subject: string, date: string | null) =>
        JSON.stringify({ date, subject, from: [{ name: 'Zed', adl: null, mailbox: 'Zed', host: 'x.org' }], sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null });
      db.prepare("INSERT INTO bodies (id, blob_id, size, structure) VALUES (1, 'a', 1, '{}'), (2, 'b', 1, '{}')").run();
      db.prepare('INSERT INTO body_envelopes (body_id, envelope) VALUES (1, ?), (2, ?)').run(env('Re: Hello', 'Mon, 7 Feb 1994 21:52:25 -0800'), env('x', null));
      migrate(db);
      const rows = db.prepare('SELECT body_id, sent_date, subject, from_mailbox, display_from, to_mailbox FROM body_sort_keys ORDER BY body_id').all();
      assert.deepEqual(rows, [
        { body_id: 1, sent_date: Date.UTC(1994, 1, 8, 5, 52, 25), subject: 'hello', from_mailbox: 'zed', display_from: 'zed', to_mailbox: '' },
        { body_id: 2, sent_date: null, subject: 'x', from_mailbox: 'zed', display_from: 'zed', to_mailbox: '' },
      ]);
    } finally {
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('SqliteStore sort keys and body cache', () => {
  let t: TempStore;
  let store: SqliteStore;
  let mb: number;
  before(async () => {
    const s = await makeTempStoreWithInbox();
    t = s;
    store = s.store;
    mb = s.inbox;
    const msgs: Array<[string, string | null, string, string]> = [
      ['Re: beta', 'Tue, 8 Feb 1994 10:00:00 +0000', 'Carol <carol@x.org>', '2024-01-01T00:00:00Z'],
      ['alpha', null, 'al@x.org', '1990-01-01T00:00:00Z'], // no Date: the internal date counts
      ['Fwd: gamma', 'Mon, 7 Feb 1994 10:00:00 +0000', '=?utf-8?q?B=C3=A9a?= <bea@x.org>', '2024-01-02T00:00:00Z'],
    ];
    for (const [subject, date, from, internal] of msgs) {
      await store.appendMessage(mb, await putBody(store, raw(subject, date, from)), { internalDate: new Date(internal) });
    }
  });
  after(async () => {
    await t.cleanup();
  });

  it('reads the keys of the given UIDs in UID order, skipping missing ones', async () => {
    assert.deepEqual(await store.getSortKeys(mb, [3, 1, 2, 9], ['date', 'subject', 'from', 'displayfrom', 'size']), [
      [1, Date.UTC(1994, 1, 8, 10), 'beta', 'carol', 'carol', 120],
      [2, Date.UTC(1990, 0, 1), 'alpha', 'al', 'al@x.org', 68],
      [3, Date.UTC(1994, 1, 7, 10), 'gamma', 'bea', 'béa', 135],
    ]);
    assert.deepEqual(await store.getSortKeys(mb, [], ['date']), []);
  });

  it('sorts every UID of a mailbox by numeric keys, REVERSE per key, ties by UID', async () => {
    assert.deepEqual(await store.getSortedUids(mb, [{ key: 'date', reverse: false }]), [2, 3, 1]);
    assert.deepEqual(await store.getSortedUids(mb, [{ key: 'arrival', reverse: true }]), [3, 1, 2]);
    assert.deepEqual(await store.getSortedUids(mb, []), [1, 2, 3]);
  });

  it('lists flags of a UID range as text, system flags first, then keywords', async () => {
    await store.storeFlags(mb, [2], 'add', ['$Work', '\\Flagged', '\\Seen']);
    const rows = await store.listFlags(mb, { uidFrom: 2, uidTo: 9 });
    assert.deepEqual(rows.map((r) => [r[0], r[2]]), [
      [2, '\\Seen \\Flagged $Work'],
      [3, ''],
    ]);
    assert.ok(rows[0]![1] > rows[1]![1], 'the flag change took a new modseq');
  });

  it('keeps cached texts per version, column by column, and marks uncacheable ones', async () => {
    let rows = await store.getBodyCache(mb, [1, 2], 1, { envelope: true, structure: false });
    assert.equal(rows[0]!.bodyStructure, null);
    assert.equal(rows[0]!.envelopeText, null);
    assert.equal(rows[0]!.envelope?.subject, 'Re: beta');
    assert.equal(rows[0]!.structure, null, 'structure not asked for');
    await store.putBodyCache(mb, 1, [{ uid: 1, envelope: 'ENV1' }, { uid: 2, envelope: '' }]);
    await store.putBodyCache(mb, 1, [{ uid: 1, bodyStructure: 'BS1', body: 'B1' }]);
    rows = await store.getBodyCache(mb, [1, 2], 1, { envelope: true, structure: true });
    assert.deepEqual([rows[0]!.envelopeText, rows[0]!.bodyStructure, rows[0]!.body, rows[0]!.envelope, rows[0]!.structure], ['ENV1', 'BS1', 'B1', null, null]);
    assert.equal(rows[1]!.envelopeText, null, "'' means not cacheable");
    assert.equal(rows[1]!.envelope?.subject, 'alpha');
    assert.notEqual(rows[1]!.structure, null);
    // another version: stale for reads, and a write of that version drops the other columns
    rows = await store.getBodyCache(mb, [1], 2, { envelope: true, structure: true });
    assert.equal(rows[0]!.envelopeText, null);
    assert.notEqual(rows[0]!.structure, null);
    await store.putBodyCache(mb, 2, [{ uid: 1, envelope: 'ENV2' }]);
    rows = await store.getBodyCache(mb, [1], 2, { envelope: true, structure: true });
    assert.deepEqual([rows[0]!.envelopeText, rows[0]!.bodyStructure, rows[0]!.body], ['ENV2', null, null]);
    assert.equal(rows[0]!.flags.length, 0);
  });
});
