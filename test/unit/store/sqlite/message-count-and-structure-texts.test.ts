import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { SqliteStore } from '../../../../src/store/sqlite/sqlite-store.js';
import { makeTempStore, openStoreAt, type TempStore } from '../../../helpers/store-temp.js';
import { freshBody } from '../../../helpers/store-fixtures.js';

/** mailboxes.message_count (migration 7) next to a real count(*), per mailbox id. */
function counts(path: string): Array<[number, number, number]> {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare('SELECT id, message_count, (SELECT count(*) FROM messages m WHERE m.mailbox_id = b.id) FROM mailboxes b ORDER BY id')
      .raw()
      .all() as Array<[number, number, number]>;
  } finally {
    db.close();
  }
}

describe('SqliteStore message count (migration 7) and the BODYSTRUCTURE/BODY texts table', () => {
  let t: TempStore;
  let store: SqliteStore;
  let inbox: number;
  let other: number;
  let path: string;
  let acc: number;
  before(async () => {
    t = await makeTempStore();
    store = t.store;
    path = join(t.dir, 'pochta.db');
    await store.addDomain({ name: 'example.test' });
    acc = (await store.createAccount({ address: 'bob@example.test', passwordHash: 'x' })).id;
    inbox = (await store.getMailbox(acc, 'INBOX'))!.id;
    other = (await store.createMailbox(acc, 'Other')).id;
  });
  after(async () => {
    await t.cleanup();
  });

  it('keeps message_count exact through append, copy, move, expunge and mailbox deletion; SELECT UIDs follow gaps', async () => {
    for (let i = 0; i < 5; i++) await store.appendMessage(inbox, await freshBody(store, `m${i}`), {});
    assert.deepEqual([...(await store.getMailboxUids(inbox))], [1, 2, 3, 4, 5]);
    await store.copyMessages(inbox, [1, 2], other);
    await store.moveMessages(inbox, [3], other);
    await store.expunge(inbox, { uids: [1], onlyDeleted: false });
    for (const [, kept, real] of counts(path)) assert.equal(kept, real);
    assert.deepEqual([...(await store.getMailboxUids(inbox))], [2, 4, 5]); // a gap: listed row by row
    await store.expunge(inbox, { uids: [2], onlyDeleted: false });
    assert.deepEqual([...(await store.getMailboxUids(inbox))], [4, 5]); // gap-free again, from 4
    assert.deepEqual([...(await store.getMailboxUids(other))], [1, 2, 3]);
    const tmp = (await store.createMailbox(acc, 'Tmp')).id;
    await store.copyMessages(other, [1, 2, 3], tmp);
    await store.deleteMailbox(tmp);
    const after = counts(path);
    for (const [, kept, real] of after) assert.equal(kept, real);
    assert.deepEqual(
      after.filter(([id]) => id === inbox || id === other).map(([, kept]) => kept),
      [2, 3],
    );
    assert.deepEqual([...(await store.getMailboxUids(tmp))], []);
  });

  it('moves the count with the messages when INBOX is renamed (an UPDATE of mailbox_id)', async () => {
    const box = (await store.createMailbox(acc, 'Box')).id;
    await store.copyMessages(inbox, [4, 5], box);
    const renamed = await store.renameMailbox(box, 'Box2'); // not INBOX: same id, count unchanged
    assert.equal(renamed.id, box);
    const spare = (await store.createAccount({ address: 'eve@example.test', passwordHash: 'x' })).id;
    const spareInbox = (await store.getMailbox(spare, 'INBOX'))!.id;
    await store.appendMessage(spareInbox, await freshBody(store, 'e1'), {});
    await store.appendMessage(spareInbox, await freshBody(store, 'e2'), {});
    const moved = await store.renameMailbox(spareInbox, 'Old');
    for (const [, kept, real] of counts(path)) assert.equal(kept, real);
    assert.deepEqual([...(await store.getMailboxUids(moved.id))], [1, 2]);
    assert.deepEqual([...(await store.getMailboxUids(spareInbox))], []);
  });

  it('stores BODYSTRUCTURE and BODY apart from ENVELOPE, each kept per version', async () => {
    await store.putBodyCache(inbox, 3, [{ uid: 4, envelope: 'E4' }]);
    await store.putBodyCache(inbox, 3, [{ uid: 4, bodyStructure: 'S4', body: 'B4' }, { uid: 5, bodyStructure: 'S5' }]);
    const all = { envelope: true, bodyStructure: true, body: true };
    assert.deepEqual(await store.getCachedTexts(inbox, [4, 5], 3, all), [
      [4, 'E4', 'S4', 'B4'],
      [5, null, 'S5', null],
    ]);
    await store.putBodyCache(inbox, 3, [{ uid: 5, body: 'B5' }]); // same version: S5 kept
    assert.deepEqual(await store.getCachedTexts(inbox, [5], 3, all), [[5, null, 'S5', 'B5']]);
    assert.deepEqual(await store.getCachedTexts(inbox, [4], 4, all), [[4, null, null, null]]); // another version
    const lines = await store.listLines(inbox, { uidFrom: 4, uidTo: 5 }, {
      parts: ['* ', { field: 'seq' }, ' FETCH (BODYSTRUCTURE ', { field: 'bodyStructure' }, ' BODY ', { field: 'body' }, ')'],
      separator: '\r\n',
      seqOffset: 3,
      textVersion: 3,
    });
    assert.equal(lines?.toString('utf8'), '* 1 FETCH (BODYSTRUCTURE S4 BODY B4)\r\n* 2 FETCH (BODYSTRUCTURE S5 BODY B5)');
  });

  it('migration 7 counts the messages and moves the texts stored before it', async () => {
    await store.close();
    const db = new Database(path);
    db.exec(`DROP TABLE body_header_texts; -- migration 8, which runs again after 7
             DROP TRIGGER messages_count_insert; DROP TRIGGER messages_count_delete; DROP TRIGGER messages_count_move;
             UPDATE body_imap_cache SET bodystructure = (SELECT bodystructure FROM body_imap_structure s WHERE s.body_id = body_imap_cache.body_id),
                                        body = (SELECT body FROM body_imap_structure s WHERE s.body_id = body_imap_cache.body_id);
             INSERT INTO body_imap_cache (body_id, version, bodystructure, body)
               SELECT body_id, version, bodystructure, body FROM body_imap_structure WHERE body_id NOT IN (SELECT body_id FROM body_imap_cache);
             DROP TABLE body_imap_structure; ALTER TABLE mailboxes DROP COLUMN message_count;`);
    db.pragma('user_version = 6');
    db.close();
    store = await openStoreAt(t.dir);
    t.store = store;
    for (const [, kept, real] of counts(path)) assert.equal(kept, real);
    assert.deepEqual([...(await store.getMailboxUids(inbox))], [4, 5]);
    assert.deepEqual(await store.getCachedTexts(inbox, [4, 5], 3, { envelope: true, bodyStructure: true, body: true }), [
      [4, 'E4', 'S4', 'B4'],
      [5, null, 'S5', 'B5'],
    ]);
  });
});
