import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { SqliteStore } from '../../../../src/store/sqlite/sqlite-store.js';
import { subjectSearchText } from '../../../../src/mail/search-text.js';
import { makeTempStoreWithInbox, openStoreAt, type TempStore } from '../../../helpers/store-temp.js';
import { putBody } from '../../../helpers/store-fixtures.js';

function raw(headers: string): Buffer {
  return Buffer.from(`${headers}From: a@example.test\r\n\r\nbody\r\n`);
}

describe('subjectSearchText', () => {
  it('joins the lower-cased decoded values of every Subject field; null without one; no row after a leading continuation', () => {
    assert.equal(subjectSearchText(Buffer.from('Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= ABC\r\nsubject: Two\r\n')), 'grüße abc\ntwo');
    assert.equal(subjectSearchText(Buffer.from('From: x@y\r\n')), null);
    assert.equal(subjectSearchText(Buffer.from(' folded\r\nSubject: x\r\n')), undefined);
  });
});

describe('SqliteStore flag lines, packed flags and subject candidates', () => {
  let t: TempStore;
  let store: SqliteStore;
  let mb: number;
  before(async () => {
    const s = await makeTempStoreWithInbox();
    t = s;
    store = s.store;
    mb = s.inbox;
    await store.appendMessage(mb, await putBody(store, raw('Subject: Quarterly 100%\r\n')), { flags: ['\\Seen', 'Work'] });
    await store.appendMessage(mb, await putBody(store, raw('Subject: =?utf-8?q?M=C3=BCnchen?=\r\n')), { flags: ['\\Flagged', '\\Deleted'] });
    await store.appendMessage(mb, await putBody(store, raw('')), { flags: ['$Label1'] });
    await store.appendMessage(mb, await putBody(store, raw('Subject: other\r\n')), { prefix: 'Return-Path: <x@y>\r\nSubject: from the prefix\r\n' });
    await store.appendMessage(mb, await putBody(store, raw('Subject: plain\r\n')), { prefix: 'Return-Path: <x@y>\r\n' });
  });
  after(async () => {
    await t.cleanup();
  });

  it('listLines formats each message in SQLite, in UID order, with literal % kept', async () => {
    const lines = await store.listLines(mb, { uidFrom: 1, uidTo: 3 }, {
      parts: ['* ', { field: 'seq' }, ' 100% (UID ', { field: 'uid' }, ' FLAGS (', { field: 'flags' }, ') M ', { field: 'modseq' }, ')'],
      separator: '|',
      seqOffset: -10,
    });
    const rows = await store.listFlags(mb, { uidFrom: 1, uidTo: 3 });
    assert.equal(lines?.toString('utf8'), rows.map(([uid, modseq, flags]) => `* ${uid + 10} 100% (UID ${uid} FLAGS (${flags}) M ${modseq})`).join('|'));
    assert.equal((await store.listLines(mb, { uidFrom: 50, uidTo: 60 }, { parts: [{ field: 'uid' }], separator: ',', seqOffset: 0 }))?.length, 0);
  });

  it('listLines answers null when a cached text is missing, the texts once they are stored', async () => {
    const fmt = { parts: [{ field: 'uid' } as const, ' ', { field: 'bodyStructure' } as const], separator: '\n', seqOffset: 0, textVersion: 7 };
    assert.equal(await store.listLines(mb, { uidFrom: 1, uidTo: 2 }, fmt), null);
    await store.putBodyCache(mb, 7, [{ uid: 1, bodyStructure: '("TEXT" 50%)' }, { uid: 2, bodyStructure: 'B2 "Grüße"' }]);
    // The listing comes as the UTF-8 bytes of the texts (UTF8=ACCEPT clients get raw UTF-8 in quoted strings).
    assert.deepEqual(await store.listLines(mb, { uidFrom: 1, uidTo: 2 }, fmt), Buffer.from('1 ("TEXT" 50%)\n2 B2 "Grüße"', 'utf8'));
    assert.equal(await store.listLines(mb, { uidFrom: 1, uidTo: 2 }, { ...fmt, textVersion: 8 }), null);
    assert.deepEqual(await store.getCachedTexts(mb, [2, 1], 7, { envelope: true, bodyStructure: true, body: false }), [
      [1, null, '("TEXT" 50%)', null],
      [2, null, 'B2 "Grüße"', null],
    ]);
  });

  it('listFlagText packs uid, modseq, system flag code and keywords per line', async () => {
    const rows = await store.listFlags(mb, { uidFrom: 1, uidTo: 5 });
    const packed = await store.listFlagText(mb, { uidFrom: 1, uidTo: 5 }, { modseq: true });
    const decoded = packed.text.split('\n').map((line) => {
      const [uid, modseq, code, ...kw] = line.split(' ');
      const flags = [packed.systemFlags[Number(code)]!, kw.join(' ')].filter((x) => x !== '').join(' ');
      return [Number(uid), Number(modseq), flags];
    });
    assert.deepEqual(decoded, rows);
    assert.equal((await store.listFlagText(mb, { uidFrom: 2, uidTo: 2 }, { modseq: false })).text, '2 12 ');
  });

  it('searchSubject: stored decoded subjects, prefixes that mention a subject, and bodies without a row', async () => {
    assert.deepEqual(await store.searchSubject(mb, 'MÜNCHEN'), { sure: [2], maybe: [4] }); // 4 always: its prefix has a Subject field
    assert.deepEqual(await store.searchSubject(mb, '100%'), { sure: [1], maybe: [4] });
    assert.deepEqual(await store.searchSubject(mb, ''), { sure: [1, 2, 5], maybe: [4] }); // 3 has no Subject field
    assert.deepEqual(await store.searchSubject(mb, 'nothing'), { sure: [], maybe: [4] });
  });

  it('migration 6 fills body_subjects for the bodies stored before it', async () => {
    const path = join(t.dir, 'pochta.db');
    const before = await store.searchSubject(mb, 'plain');
    await store.close();
    const db = new Database(path);
    db.exec('DROP TABLE body_subjects');
    // Undo migrations 7 and 8 too, which run again after 6.
    db.exec(`DROP TABLE body_header_texts; DROP TRIGGER messages_count_insert; DROP TRIGGER messages_count_delete; DROP TRIGGER messages_count_move;
             DROP TABLE body_imap_structure; ALTER TABLE mailboxes DROP COLUMN message_count;`);
    db.pragma('user_version = 5');
    db.close();
    store = await openStoreAt(t.dir);
    t.store = store;
    assert.deepEqual(await store.searchSubject(mb, 'plain'), before);
    assert.deepEqual(before, { sure: [5], maybe: [4] });
    const check = new Database(path, { readonly: true });
    try {
      assert.deepEqual(check.prepare('SELECT body_id, subject FROM body_subjects ORDER BY body_id').raw().all(), [
        [1, 'quarterly 100%'],
        [2, 'münchen'],
        [3, null],
        [4, 'other'],
        [5, 'plain'],
      ]);
    } finally {
      check.close();
    }
  });
});
