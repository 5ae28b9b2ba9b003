/**
 * Versioned schema migrations for the SQLite store. `PRAGMA user_version` holds the number of migrations
 * applied; each migration runs in its own transaction together with the version bump, so a crash leaves the
 * database at a whole version. Append new migrations at the end; never edit one that has shipped.
 *
 * Side effects: DDL on the given database.
 */

import type BetterSqlite3 from 'better-sqlite3';
import { UserError } from '../../lib/errors.js';

type Db = BetterSqlite3.Database;

export type Migration = (db: Db) => void;

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
];

/** Brings the database to the latest schema version; refuses a database newer than this code. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new UserError(
      `database schema version ${current} is newer than this pochta supports (${MIGRATIONS.length}): upgrade pochta`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const step = MIGRATIONS[v]!;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
