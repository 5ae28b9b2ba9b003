/**
 * Versioned schema migrations for the SQLite store. `PRAGMA user_version` holds the number of migrations
 * applied; each migration runs in its own transaction together with the version bump, so a crash leaves the
 * database at a whole version. Append new migrations at the end; never edit one that has shipped.
 *
 * Side effects: DDL on the given database.
 */

import type BetterSqlite3 from 'better-sqlite3';
import { UserError } from '../../lib/errors.js';
import type { Envelope } from '../../mail/structure.js';
import { sortKeysOf } from '../../mail/sort-keys.js';
import { addressSearchTexts, subjectSearchText } from '../../mail/search-text.js';
import { sentDayMs } from '../../mail/sent-day.js';

type Db = BetterSqlite3.Database;

/** What a migration may need besides the database: the header bytes of a stored body (migrations 6 and 8). */
export interface MigrationContext {
  /** Bytes 0..end of the blob `blobId`, or null when it cannot be read. Absent: such backfills are skipped. */
  readHeader?: (blobId: string, end: number) => Buffer | null;
}

export type Migration = (db: Db, ctx?: MigrationContext) => void;

/** Writes a body's From/To/Cc/Bcc search texts (migration 8's table); used by the migration and at delivery. */
export const INSERT_HEADER_TEXTS = 'INSERT INTO body_header_texts (body_id, from_text, to_text, cc_text, bcc_text) VALUES (?, ?, ?, ?, ?)';

/** Writes a body's sort keys (migration 4's table); used by the migration and at delivery. */
export const INSERT_SORT_KEYS =
  'INSERT OR REPLACE INTO body_sort_keys (body_id, sent_date, subject, from_mailbox, to_mailbox, cc_mailbox, display_from, display_to) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

/** Writes a body's sent day (migration 9's table: mail/sent-day.ts sentDayMs, NULL when the Date gives none). */
export const INSERT_SENT_DAY = 'INSERT OR REPLACE INTO body_sent_days (body_id, sent_day) VALUES (?, ?)';

export function insertSortKeys(stmt: BetterSqlite3.Statement, bodyId: number, envelope: Envelope | null): void {
  const k = sortKeysOf(envelope);
  stmt.run(bodyId, k.sentDate, k.subject, k.from, k.to, k.cc, k.displayFrom, k.displayTo);
}

export const MIGRATIONS: readonly Migration[] = [
  // 1: initial schema
  (db) => {
    db.exec(`
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE domains (
        name TEXT PRIMARY KEY,
        unknown_policy TEXT NOT NULL DEFAULT 'reject' CHECK (unknown_policy IN ('reject', 'catch-all')),
        catch_all TEXT,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE,
        domain TEXT NOT NULL REFERENCES domains(name),
        password_hash TEXT NOT NULL,
        quota_bytes INTEGER NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 1,
        send_as TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL
      );
      CREATE INDEX accounts_domain ON accounts(domain);

      CREATE TABLE aliases (
        address TEXT NOT NULL,
        target TEXT NOT NULL,
        domain TEXT NOT NULL REFERENCES domains(name),
        position INTEGER NOT NULL,
        PRIMARY KEY (address, target)
      ) WITHOUT ROWID;
      CREATE INDEX aliases_domain ON aliases(domain);

      CREATE TABLE mailboxes (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        special_use TEXT,
        uid_validity INTEGER NOT NULL,
        uid_next INTEGER NOT NULL DEFAULT 1,
        highest_modseq INTEGER NOT NULL DEFAULT 1,
        UNIQUE (account_id, name)
      );

      CREATE TABLE subscriptions (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        PRIMARY KEY (account_id, name)
      ) WITHOUT ROWID;

      -- One row per distinct body; messages share it. structure is MessageStructure as JSON.
      CREATE TABLE bodies (
        id INTEGER PRIMARY KEY,
        blob_id TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        structure TEXT NOT NULL,
        indexed INTEGER NOT NULL DEFAULT 0
      );

      -- Clustered on (mailbox_id, uid): listMessages is a range scan of the primary key.
      -- sys_flags bits: 1 \\Seen, 2 \\Answered, 4 \\Flagged, 8 \\Deleted, 16 \\Draft; keywords space-separated.
      CREATE TABLE messages (
        mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        uid INTEGER NOT NULL,
        modseq INTEGER NOT NULL,
        sys_flags INTEGER NOT NULL DEFAULT 0,
        keywords TEXT NOT NULL DEFAULT '',
        internal_date INTEGER NOT NULL,
        size INTEGER NOT NULL,
        body_id INTEGER NOT NULL REFERENCES bodies(id),
        prefix TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (mailbox_id, uid)
      ) WITHOUT ROWID;
      CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);
      CREATE INDEX messages_body ON messages(body_id);

      -- RFC 7162 §3.2.5.1 (QRESYNC VANISHED): which UIDs went away at which modseq.
      CREATE TABLE expunged (
        mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
        uid INTEGER NOT NULL,
        modseq INTEGER NOT NULL,
        PRIMARY KEY (mailbox_id, uid)
      ) WITHOUT ROWID;
      CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);

      -- Full-text candidates for SEARCH BODY/TEXT, keyed by bodies.id. Trigram tokens make substring
      -- matching (what IMAP SEARCH asks for) a superset query; contentless to keep the file small.
      CREATE VIRTUAL TABLE body_text USING fts5(
        headers, body, content='', contentless_delete=1, tokenize='trigram'
      );

      CREATE TABLE queue (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        blob_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        envid TEXT,
        ret TEXT CHECK (ret IN ('FULL', 'HDRS')),
        smtputf8 INTEGER NOT NULL DEFAULT 0,
        eight_bit INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL CHECK (state IN ('queued', 'active', 'deferred', 'held', 'done')),
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        delay_warned INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX queue_due ON queue(state, next_attempt_at);
      CREATE INDEX queue_blob ON queue(blob_id);

      CREATE TABLE queue_recipients (
        queue_id TEXT NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        address TEXT NOT NULL,
        orcpt TEXT,
        notify TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'deferred')),
        last_result TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (queue_id, position)
      ) WITHOUT ROWID;
    `);
  },
  // 2: the envelope of each body in a narrow table of its own (IMAP FETCH ENVELOPE, SORT and THREAD read it for
  // every message without parsing the whole structure, and without walking the overflow pages of a wide bodies
  // row); filled from the structure for bodies stored before.
  (db) => {
    db.exec(`
      CREATE TABLE body_envelopes (
        body_id INTEGER PRIMARY KEY REFERENCES bodies(id) ON DELETE CASCADE,
        envelope TEXT NOT NULL
      );
      INSERT INTO body_envelopes (body_id, envelope) SELECT id, json_extract(structure, '$.envelope') FROM bodies;
    `);
  },
  // 3: abuse defence state (AbuseStore, antispam/): greylisting triplets and temporary IP bans, each with an expiry.
  (db) => {
    db.exec(`
      CREATE TABLE greylist (
        key TEXT PRIMARY KEY,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        passed INTEGER NOT NULL DEFAULT 0,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX greylist_expiry ON greylist(expires_at);

      CREATE TABLE bans (
        ip TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX bans_expiry ON bans(expires_at);
    `);
  },
  // 4: per body, the RFC 5256 SORT keys taken from the envelope (sent date, base subject, first From/To/Cc
  // mailbox, RFC 5957 display names: mail/sort-keys.ts), so SORT reads columns instead of parsing every Date
  // and Subject; computed here for the bodies stored before. And a cache of the IMAP ENVELOPE, BODYSTRUCTURE and
  // BODY wire forms, filled lazily by the IMAP layer (with the version of its encoder) on the first FETCH of a body.
  (db) => {
    db.exec(`
      CREATE TABLE body_sort_keys (
        body_id INTEGER PRIMARY KEY REFERENCES bodies(id) ON DELETE CASCADE,
        sent_date INTEGER,
        subject TEXT NOT NULL,
        from_mailbox TEXT NOT NULL,
        to_mailbox TEXT NOT NULL,
        cc_mailbox TEXT NOT NULL,
        display_from TEXT NOT NULL,
        display_to TEXT NOT NULL
      );
      CREATE TABLE body_imap_cache (
        body_id INTEGER PRIMARY KEY REFERENCES bodies(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        envelope TEXT,
        bodystructure TEXT,
        body TEXT
      );
    `);
    const page = db.prepare('SELECT body_id, envelope FROM body_envelopes WHERE body_id > ? ORDER BY body_id LIMIT 2000');
    const insert = db.prepare(INSERT_SORT_KEYS);
    let last = 0;
    for (;;) {
      const rows = page.all(last) as Array<{ body_id: number; envelope: string | null }>;
      if (rows.length === 0) break;
      for (const r of rows) {
        insertSortKeys(insert, r.body_id, r.envelope === null ? null : (JSON.parse(r.envelope) as Envelope | null));
        last = r.body_id;
      }
    }
  },
  // 5: the \Recent watermark of RFC 3501 §2.3.2 (select-ops.ts): messages with UID ≥ first_recent_uid are
  // \Recent for the next session to claim them. Existing mail is not recent. And two partial indexes, of the
  // messages with keywords and of the unseen ones (\Seen is bit 1 of sys_flags, flags.ts), so SELECT finds the
  // keywords in use and the first unseen message without scanning the mailbox.
  (db) => {
    db.exec(`
      ALTER TABLE mailboxes ADD COLUMN first_recent_uid INTEGER NOT NULL DEFAULT 0;
      UPDATE mailboxes SET first_recent_uid = uid_next;
      CREATE INDEX messages_keywords ON messages(mailbox_id, keywords) WHERE keywords <> '';
      CREATE INDEX messages_unseen ON messages(mailbox_id, uid) WHERE (sys_flags & 1) = 0;
    `);
  },
  // 6: per body, the lower-cased decoded Subject values that SEARCH SUBJECT scans (subject-search.ts), so it no
  // longer asks the full-text index (which answers in ~150 ms for any term, and not at all for terms under three
  // characters) or parses the header of every message. Filled here from the blobs' header bytes for the bodies
  // stored before; bodies without a row are always candidates.
  (db, ctx) => {
    db.exec(`
      CREATE TABLE body_subjects (
        body_id INTEGER PRIMARY KEY REFERENCES bodies(id) ON DELETE CASCADE,
        subject TEXT
      );
    `);
    const insert = db.prepare('INSERT INTO body_subjects (body_id, subject) VALUES (?, ?)');
    forEachStoredHeader(db, ctx, (id, header) => {
      const text = subjectSearchText(header);
      if (text !== undefined) insert.run(id, text);
    });
  },
  // 7: the number of messages of each mailbox, kept exact by triggers in the transaction of every statement
  // that inserts, deletes (also by cascade) or moves a message, so IMAP SELECT tells a gap-free mailbox
  // (count = max UID - min UID + 1) without counting 100,000 index entries (select-ops.ts). No statement
  // replaces a messages row (REPLACE would delete without firing the delete trigger). And the BODYSTRUCTURE
  // and BODY wire texts move out of migration 4's body_imap_cache (which keeps the ENVELOPE text) into a narrow
  // table of their own, so FETCH 1:1000 (BODYSTRUCTURE) reads half the pages it did.
  (db) => {
    db.exec(`
      CREATE TABLE body_imap_structure (
        body_id INTEGER PRIMARY KEY REFERENCES bodies(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        bodystructure TEXT,
        body TEXT
      );
      INSERT INTO body_imap_structure (body_id, version, bodystructure, body)
        SELECT body_id, version, bodystructure, body FROM body_imap_cache WHERE bodystructure IS NOT NULL OR body IS NOT NULL;
      UPDATE body_imap_cache SET bodystructure = NULL, body = NULL WHERE bodystructure IS NOT NULL OR body IS NOT NULL;
      ALTER TABLE mailboxes ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
      UPDATE mailboxes SET message_count = (SELECT count(*) FROM messages m WHERE m.mailbox_id = mailboxes.id);
      CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
        UPDATE mailboxes SET message_count = message_count + 1 WHERE id = NEW.mailbox_id;
      END;
      CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
        UPDATE mailboxes SET message_count = message_count - 1 WHERE id = OLD.mailbox_id;
      END;
      CREATE TRIGGER messages_count_move AFTER UPDATE OF mailbox_id ON messages WHEN NEW.mailbox_id <> OLD.mailbox_id BEGIN
        UPDATE mailboxes SET message_count = message_count - 1 WHERE id = OLD.mailbox_id;
        UPDATE mailboxes SET message_count = message_count + 1 WHERE id = NEW.mailbox_id;
      END;
    `);
  },
  // 8: per body, the lower-cased decoded From, To, Cc and Bcc values that SEARCH FROM/TO/CC/BCC scan
  // (mail/search-text.ts addressSearchTexts; NULL: no such field), so those searches, like SUBJECT since
  // migration 6, no longer read the header of every full-text candidate from its blob (2.8 s for FROM on a
  // 100,000-message mailbox). Filled here from the blobs' header bytes for the bodies stored before; bodies
  // without a row are always candidates.
  (db, ctx) => {
    db.exec(`
      CREATE TABLE body_header_texts (
        body_id INTEGER PRIMARY KEY REFERENCES bodies(id) ON DELETE CASCADE,
        from_text TEXT,
        to_text TEXT,
        cc_text TEXT,
        bcc_text TEXT
      );
    `);
    const insert = db.prepare(INSERT_HEADER_TEXTS);
    forEachStoredHeader(db, ctx, (id, header) => {
      const texts = addressSearchTexts(header);
      if (texts !== undefined) insert.run(id, texts.from, texts.to, texts.cc, texts.bcc);
    });
  },
  // 9: per body, the day of its Date header as SEARCH SENTBEFORE/SENTON/SENTSINCE compare it (mail/sent-day.ts
  // sentDayMs: 00:00 UTC of the day as written, in ms; NULL: no usable Date, so SEARCH uses the message's internal
  // date), so those keys are one join instead of reading every message's structure (1.9 s on 100,000 messages).
  // Every body has a row: filled here from the envelope date in bodies.structure, and at delivery. Rerunning it
  // (a database whose user_version was set back) rewrites the same rows.
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS body_sent_days (
        body_id INTEGER PRIMARY KEY REFERENCES bodies(id) ON DELETE CASCADE,
        sent_day INTEGER
      );
    `);
    const page = db
      .prepare("SELECT id, json_extract(structure, '$.envelope.date') FROM bodies WHERE id > ? ORDER BY id LIMIT 2000")
      .raw();
    const insert = db.prepare(INSERT_SENT_DAY);
    let last = 0;
    for (;;) {
      const rows = page.all(last) as Array<[number, unknown]>;
      if (rows.length === 0) break;
      for (const [id, date] of rows) {
        last = id;
        insert.run(id, sentDayMs(typeof date === 'string' ? date : null));
      }
    }
  },
];

/**
 * Calls `fn` with the header bytes of every stored body, in id order, read from its blob through
 * `ctx.readHeader` (pages of 1000 rows); bodies whose blob or header end is missing are skipped. Without a
 * reader (a database opened without its blobs) nothing is read: those bodies keep no row and stay candidates.
 */
function forEachStoredHeader(db: Db, ctx: MigrationContext | undefined, fn: (bodyId: number, header: Buffer) => void): void {
  const read = ctx?.readHeader;
  if (read === undefined) return;
  const page = db
    .prepare("SELECT id, blob_id, json_extract(structure, '$.headerEnd') FROM bodies WHERE id > ? ORDER BY id LIMIT 1000")
    .raw();
  let last = 0;
  for (;;) {
    const rows = page.all(last) as Array<[number, string, number | null]>;
    if (rows.length === 0) break;
    for (const [id, blobId, headerEnd] of rows) {
      last = id;
      if (typeof headerEnd !== 'number' || headerEnd < 0) continue;
      const header = read(blobId, headerEnd);
      if (header !== null) fn(id, header);
    }
  }
}

/** Brings the database to the latest schema version; refuses a database newer than this code. */
export function migrate(db: Db, ctx: MigrationContext = {}): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new UserError(
      `database schema version ${current} is newer than this pochta supports (${MIGRATIONS.length}): upgrade pochta`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      step(db, ctx);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
