/**
 * Store on SQLite (better-sqlite3) plus an FsBlobStore for bodies. The only module that opens the database.
 *
 * Durability: WAL journal with synchronous=FULL, so every COMMIT fsyncs the WAL before it returns; a promise
 * of this store resolves only after its COMMIT returned. deliver()/appendMessage() and the queue's writes
 * (enqueue, claimDue, recordAttempt, completeQueueEntry, setQueueState, deleteQueueEntry) share commits
 * through GroupCommit; every other write runs alone in one transaction. Bodies are durable in the BlobStore before
 * callers reference them (the caller puts first). Change events are published after the commit.
 *
 * Invariants: see ../types.ts. Side effects: `<dir>/pochta.db` (+ -wal, -shm) and `<dir>/blobs/`.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../../lib/errors.js';
import type { AddressHeaderName } from '../../mail/search-text.js';
import { FsBlobStore } from '../fsblob/fs-blob-store.js';
import type {
  Ban,
  GreylistEntry,
  Account,
  AccountInput,
  AccountPatch,
  Alias,
  BodyCacheEntry,
  BodyCacheSummary,
  BodyInput,
  CachedTextRow,
  CopyResult,
  DeliveryResult,
  DeliveryTarget,
  EnvelopeSummary,
  LinePart,
  MailboxIndex,
  Domain,
  DomainInput,
  FlagOperation,
  FlagListing,
  FlagRow,
  Mailbox,
  MailboxChange,
  MailboxStatus,
  MaildropEntry,
  MessageSummary,
  QueueEntry,
  QueueEntryInput,
  QueueState,
  RecipientState,
  NumericSortKeyName,
  RangeField,
  SortKeyName,
  SortKeyRow,
  SpecialUse,
  Store,
  StoredMessage,
  StoreFlagsResult,
} from '../types.js';
import { AbuseOps } from './abuse-ops.js';
import { AccountOps } from './account-ops.js';
import { GroupCommit } from './group-commit.js';
import { MailboxOps } from './mailbox-ops.js';
import { MaildropOps } from './maildrop-ops.js';
import { MemoryChangeFeed } from './memory-change-feed.js';
import { MessageOps } from './message-ops.js';
import { migrate } from './migrations.js';
import { QueueOps } from './queue-ops.js';
import { SelectOps } from './select-ops.js';
import { Statements, type Db } from './statements.js';
import { readHeaderSync } from './subject-search.js';

export interface SqliteStoreOptions {
  /** Data directory: holds pochta.db and, unless blobDir is given, blobs/. Created if missing. */
  dir: string;
  /** Where bodies live (default `<dir>/blobs`). */
  blobDir?: string;
  /** Share one transaction among deliveries of the same event-loop turn (default true). */
  groupCommit?: boolean;
  /** How long to wait for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  await mkdir(opts.dir, { recursive: true });
  const blobs = await FsBlobStore.open(opts.blobDir ?? join(opts.dir, 'blobs'));
  const db = new Database(join(opts.dir, 'pochta.db'));
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode (got ${String(mode)})`);
    // FULL: the WAL is fsync'd at every commit, so a resolved write survives power loss. Group commit, not
    // NORMAL, is what buys throughput.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Reads only: a 64 MiB page cache (SQLite's default is 2 MiB) keeps a large mailbox's flag rows and cached
    // IMAP texts between commands (a FETCH ENVELOPE of 100,000 messages reads ~50 MB of them); it grows only as
    // pages are read. Durability (WAL, synchronous=FULL above) is unaffected.
    db.pragma('cache_size = -65536');
    migrate(db, { readHeader: (blobId, end) => readHeaderSync(blobs.pathOf(blobId), end) });
  } catch (e) {
    db.close();
    throw e;
  }
  return new SqliteStore(db, blobs, opts.groupCommit ?? true);
}

export class SqliteStore implements Store {
  readonly changes: MemoryChangeFeed = new MemoryChangeFeed();
  private readonly st: Statements;
  private readonly mailboxOps: MailboxOps;
  private readonly accountOps: AccountOps;
  private readonly messageOps: MessageOps;
  private readonly queueOps: QueueOps;
  private readonly abuseOps: AbuseOps;
  private readonly selectOps: SelectOps;
  private readonly maildropOps: MaildropOps;
  private readonly batcher: GroupCommit;
  private closed = false;

  constructor(
    private readonly db: Db,
    readonly blobs: FsBlobStore,
    groupCommit: boolean,
  ) {
    this.st = new Statements(db);
    this.mailboxOps = new MailboxOps(this.st);
    this.accountOps = new AccountOps(this.st, this.mailboxOps);
    this.messageOps = new MessageOps(this.st, this.mailboxOps);
    this.queueOps = new QueueOps(this.st);
    this.abuseOps = new AbuseOps(this.st);
    this.selectOps = new SelectOps(this.st);
    // The statements of SELECT and FETCH BODYSTRUCTURE are prepared now rather than by the first client.
    this.selectOps.prepare();
    this.messageOps.prepareHotStatements();
    this.maildropOps = new MaildropOps(this.st);
    this.batcher = new GroupCommit(db, (events) => this.publish(events), groupCommit);
  }

  private publish(events: MailboxChange[]): void {
    for (const e of events) this.changes.publish(e);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('invalid', 'store is closed');
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE) and publishes its events after the commit. */
  private write<T>(fn: (events: MailboxChange[]) => T): T {
    this.checkOpen();
    const events: MailboxChange[] = [];
    const result = this.db.transaction(() => fn(events)).immediate();
    this.publish(events);
    return result;
  }

  /**
   * Like write(), but shares the transaction (and its fsync) with the other group-commit items of this
   * event-loop turn; fn runs in its own savepoint. Resolves only after the shared COMMIT returned.
   */
  private batched<T>(fn: (events: MailboxChange[]) => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('invalid', 'store is closed'));
    return this.batcher.submit(fn);
  }

  /** A read; better-sqlite3 is synchronous, so no other call of this process interleaves with it. */
  private read<T>(fn: () => T): T {
    this.checkOpen();
    return fn();
  }

  // --- AccountStore ---------------------------------------------------------------------------------------

  async addDomain(input: DomainInput): Promise<Domain> {
    return this.write(() => this.accountOps.addDomain(input));
  }
  async getDomain(name: string): Promise<Domain | null> {
    return this.read(() => this.accountOps.getDomain(name));
  }
  async listDomains(): Promise<Domain[]> {
    return this.read(() => this.accountOps.listDomains());
  }
  async updateDomain(name: string, patch: Omit<DomainInput, 'name'>): Promise<Domain> {
    return this.write(() => this.accountOps.updateDomain(name, patch));
  }
  async removeDomain(name: string): Promise<void> {
    this.write(() => this.accountOps.removeDomain(name));
  }
  async createAccount(input: AccountInput): Promise<Account> {
    return this.write(() => this.accountOps.createAccount(input));
  }
  async getAccount(address: string): Promise<Account | null> {
    return this.read(() => this.accountOps.getAccount(address));
  }
  async getAccountById(id: number): Promise<Account | null> {
    return this.read(() => this.accountOps.getAccountById(id));
  }
  async listAccounts(domain?: string): Promise<Account[]> {
    return this.read(() => this.accountOps.listAccounts(domain));
  }
  async updateAccount(address: string, patch: AccountPatch): Promise<Account> {
    return this.write(() => this.accountOps.updateAccount(address, patch));
  }
  async removeAccount(address: string): Promise<void> {
    this.write((events) => {
      const id = this.accountOps.removeAccount(address);
      events.push({ kind: 'mailboxes', accountId: id });
    });
  }
  async addAlias(address: string, targets: string[]): Promise<Alias> {
    return this.write(() => this.accountOps.addAlias(address, targets));
  }
  async getAlias(address: string): Promise<Alias | null> {
    return this.read(() => this.accountOps.getAlias(address));
  }
  async listAliases(domain?: string): Promise<Alias[]> {
    return this.read(() => this.accountOps.listAliases(domain));
  }
  async removeAlias(address: string, target?: string): Promise<void> {
    this.write(() => this.accountOps.removeAlias(address, target));
  }

  // --- MailStore: mailboxes -------------------------------------------------------------------------------

  async listMailboxes(accountId: number): Promise<Mailbox[]> {
    return this.read(() => this.mailboxOps.list(accountId));
  }
  async getMailbox(accountId: number, name: string): Promise<Mailbox | null> {
    return this.read(() => this.mailboxOps.byName(accountId, name));
  }
  async getMailboxById(id: number): Promise<Mailbox | null> {
    return this.read(() => this.mailboxOps.byId(id));
  }
  async createMailbox(accountId: number, name: string, opts?: { specialUse?: SpecialUse | null }): Promise<Mailbox> {
    return this.write((events) => this.mailboxOps.create(accountId, name, opts?.specialUse ?? null, events));
  }
  async deleteMailbox(id: number): Promise<void> {
    this.write((events) => this.mailboxOps.delete(id, events));
  }
  async renameMailbox(id: number, newName: string): Promise<Mailbox> {
    return this.write((events) => this.mailboxOps.rename(id, newName, events));
  }
  async listSubscriptions(accountId: number): Promise<string[]> {
    return this.read(() => this.mailboxOps.listSubscriptions(accountId));
  }
  async setSubscribed(accountId: number, name: string, subscribed: boolean): Promise<void> {
    this.write(() => this.mailboxOps.setSubscribed(accountId, name, subscribed));
  }
  async getMailboxStatus(id: number): Promise<MailboxStatus> {
    return this.read(() => ({ ...this.mailboxOps.status(id), recent: this.selectOps.recentCount(id) }));
  }
  async getUsage(accountId: number): Promise<{ bytes: number; messages: number }> {
    return this.read(() => this.mailboxOps.usage(accountId));
  }

  // --- MailStore: messages (deliver and append go through group commit) -----------------------------------

  deliver(body: BodyInput, targets: DeliveryTarget[], internalDate?: Date): Promise<DeliveryResult[]> {
    if (this.closed) return Promise.reject(new StoreError('invalid', 'store is closed'));
    const date = internalDate ?? new Date();
    return this.batcher.submit((events) => this.messageOps.deliver(body, targets, date, events));
  }

  appendMessage(
    mailboxId: number,
    body: BodyInput,
    opts?: { flags?: string[]; internalDate?: Date; prefix?: string },
  ): Promise<DeliveryResult> {
    if (this.closed) return Promise.reject(new StoreError('invalid', 'store is closed'));
    const o = { ...opts, internalDate: opts?.internalDate ?? new Date() };
    return this.batcher.submit((events) => this.messageOps.append(mailboxId, body, o, events));
  }

  async listMessages(
    mailboxId: number,
    opts?: { uidFrom?: number; uidTo?: number; changedSince?: number },
  ): Promise<MessageSummary[]> {
    return this.read(() => this.messageOps.list(mailboxId, opts ?? {}));
  }
  async getMessages(mailboxId: number, uids: number[]): Promise<StoredMessage[]> {
    return this.read(() => this.messageOps.get(mailboxId, uids));
  }
  async listMaildrop(mailboxId: number): Promise<MaildropEntry[]> {
    return this.read(() => this.maildropOps.list(mailboxId));
  }
  async getMailboxIndex(mailboxId: number, opts?: { uids?: boolean }): Promise<MailboxIndex> {
    if (opts?.uids === false) return this.read(() => ({ uids: [], ...this.selectOps.flagIndex(mailboxId) }));
    return this.read(() => this.messageOps.index(mailboxId));
  }
  async getMailboxUids(mailboxId: number): Promise<Uint32Array> {
    return this.read(() => this.selectOps.uids(mailboxId));
  }
  async claimRecent(mailboxId: number, opts: { claim: boolean; upTo?: number }): Promise<{ from: number; to: number }> {
    if (!opts.claim) return this.read(() => this.selectOps.recent(mailboxId, opts));
    return this.write(() => this.selectOps.recent(mailboxId, opts));
  }
  async getEnvelopes(mailboxId: number, uids: number[]): Promise<EnvelopeSummary[]> {
    return this.read(() => this.messageOps.envelopes(mailboxId, uids));
  }
  async listFlags(mailboxId: number, range: { uidFrom: number; uidTo: number }): Promise<FlagRow[]> {
    return this.read(() => this.messageOps.flagRows(mailboxId, range.uidFrom, range.uidTo));
  }
  async listLines(
    mailboxId: number,
    range: { uidFrom: number; uidTo: number },
    format: { parts: readonly LinePart[]; separator: string; seqOffset: number; textVersion?: number },
  ): Promise<Buffer | null> {
    return this.read(() => this.messageOps.lines(mailboxId, range.uidFrom, range.uidTo, format));
  }
  async listFlagText(mailboxId: number, range: { uidFrom: number; uidTo: number }, opts: { modseq: boolean }): Promise<FlagListing> {
    return this.read(() => this.messageOps.flagText(mailboxId, range.uidFrom, range.uidTo, opts.modseq));
  }
  async getSortKeys(mailboxId: number, uids: number[], keys: readonly SortKeyName[]): Promise<SortKeyRow[]> {
    return this.read(() => this.messageOps.sortKeys(mailboxId, uids, keys));
  }
  async getSortedUids(mailboxId: number, criteria: ReadonlyArray<{ key: NumericSortKeyName; reverse: boolean }>): Promise<number[]> {
    return this.read(() => this.messageOps.sortedUids(mailboxId, criteria));
  }
  async getBodyCache(mailboxId: number, uids: number[], version: number, want: { envelope: boolean; structure: boolean }): Promise<BodyCacheSummary[]> {
    return this.read(() => this.messageOps.bodyCache(mailboxId, uids, version, want));
  }
  async getCachedTexts(
    mailboxId: number,
    uids: number[],
    version: number,
    want: { envelope: boolean; bodyStructure: boolean; body: boolean },
  ): Promise<CachedTextRow[]> {
    return this.read(() => this.messageOps.cachedTexts(mailboxId, uids, version, want));
  }
  async putBodyCache(mailboxId: number, version: number, entries: readonly BodyCacheEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.write(() => this.messageOps.putBodyCache(mailboxId, version, entries));
  }
  async storeFlags(
    mailboxId: number,
    uids: number[],
    op: FlagOperation,
    flags: string[],
    opts?: { unchangedSince?: number },
  ): Promise<StoreFlagsResult> {
    return this.write((events) => this.messageOps.storeFlags(mailboxId, uids, op, flags, opts ?? {}, events));
  }
  async expunge(mailboxId: number, opts: { uids?: number[]; onlyDeleted: boolean }): Promise<{ uids: number[]; modseq: number }> {
    return this.write((events) => this.messageOps.expunge(mailboxId, opts, events));
  }
  async copyMessages(sourceMailboxId: number, uids: number[], destMailboxId: number): Promise<CopyResult> {
    return this.write((events) => {
      const { mapping, destUidValidity } = this.messageOps.copy(sourceMailboxId, uids, destMailboxId, events);
      return { mapping, destUidValidity };
    });
  }
  async moveMessages(
    sourceMailboxId: number,
    uids: number[],
    destMailboxId: number,
  ): Promise<CopyResult & { expungeModseq: number }> {
    return this.write((events) => this.messageOps.move(sourceMailboxId, uids, destMailboxId, events));
  }
  async vanishedSince(mailboxId: number, sinceModseq: number): Promise<number[]> {
    return this.read(() => this.messageOps.vanishedSince(mailboxId, sinceModseq));
  }
  async searchSubject(mailboxId: number, value: string): Promise<{ sure: number[]; maybe: number[] }> {
    return this.read(() => this.messageOps.searchSubject(mailboxId, value));
  }
  async searchHeader(mailboxId: number, field: AddressHeaderName, value: string): Promise<{ sure: number[]; maybe: number[] }> {
    return this.read(() => this.messageOps.searchHeader(mailboxId, field, value));
  }
  async searchText(mailboxId: number, terms: string[], field: 'body' | 'text'): Promise<number[]> {
    return this.read(() => this.messageOps.searchText(mailboxId, terms, field));
  }
  async searchFlag(mailboxId: number, flag: string, present: boolean): Promise<number[]> {
    return this.read(() => this.messageOps.searchFlag(mailboxId, flag, present));
  }
  async searchRange(mailboxId: number, field: RangeField, min: number | null, max: number | null): Promise<number[]> {
    return this.read(() => this.messageOps.searchRange(mailboxId, field, min, max));
  }

  // --- QueueStore (writes go through group commit: one WAL fsync per event-loop turn, not per call) ------

  async enqueue(input: QueueEntryInput): Promise<QueueEntry> {
    return this.batched(() => this.queueOps.enqueue(input));
  }
  async getQueueEntry(id: string): Promise<QueueEntry | null> {
    return this.read(() => this.queueOps.get(id));
  }
  async listQueue(opts?: { state?: QueueState }): Promise<QueueEntry[]> {
    return this.read(() => this.queueOps.list(opts?.state));
  }
  async claimDue(now: Date, limit: number): Promise<QueueEntry[]> {
    // Safe in a batch: items run one after the other inside the batch's BEGIN IMMEDIATE, so a later claim
    // sees an earlier one's 'active' rows, and another process waits for the write lock.
    return this.batched(() => this.queueOps.claimDue(now, limit));
  }
  async recordAttempt(
    id: string,
    update: {
      recipients: Array<{ address: string; state: RecipientState; lastResult: string | null }>;
      state: QueueState;
      nextAttemptAt?: Date;
      lastError?: string | null;
      delayWarned?: boolean;
    },
  ): Promise<QueueEntry> {
    return this.batched(() => this.queueOps.recordAttempt(id, update));
  }
  async completeQueueEntry(
    id: string,
    recipients: Array<{ address: string; state: RecipientState; lastResult: string | null }>,
  ): Promise<void> {
    return this.batched(() => this.queueOps.complete(id, recipients));
  }
  async setQueueState(id: string, state: QueueState, nextAttemptAt?: Date): Promise<QueueEntry> {
    return this.batched(() => this.queueOps.setState(id, state, nextAttemptAt));
  }
  async deleteQueueEntry(id: string): Promise<void> {
    return this.batched(() => this.queueOps.delete(id));
  }
  async requeueActive(): Promise<number> {
    return this.write(() => this.queueOps.requeueActive());
  }

  // --- AbuseStore ----------------------------------------------------------------------------------------

  async getGreylistEntry(key: string, now: Date): Promise<GreylistEntry | null> {
    return this.read(() => this.abuseOps.getGreylistEntry(key, now));
  }
  async putGreylistEntry(entry: GreylistEntry): Promise<void> {
    this.write(() => this.abuseOps.putGreylistEntry(entry));
  }
  async addBan(ban: Ban): Promise<void> {
    this.write(() => this.abuseOps.addBan(ban));
  }
  async getBan(ip: string, now: Date): Promise<Ban | null> {
    return this.read(() => this.abuseOps.getBan(ip, now));
  }
  async listBans(now: Date): Promise<Ban[]> {
    return this.read(() => this.abuseOps.listBans(now));
  }
  async removeBan(ip: string): Promise<boolean> {
    return this.write(() => this.abuseOps.removeBan(ip));
  }
  async expireAbuseState(now: Date): Promise<number> {
    return this.write(() => this.abuseOps.expire(now));
  }

  // --- maintenance ----------------------------------------------------------------------------------------

  /**
   * Drops body rows no message references (and their full-text rows), then deletes blob files that no body
   * row or queue entry references and whose mtime is older than graceMs (a body written for a delivery that
   * has not committed yet is fresh, and put() refreshes the mtime of re-used content).
   */
  async collectGarbage(opts?: { graceMs?: number }): Promise<number> {
    const cutoff = new Date(Date.now() - (opts?.graceMs ?? DEFAULT_GC_GRACE_MS));
    this.write(() => {
      const orphans = this.st
        .get('SELECT id, indexed FROM bodies b WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.body_id = b.id)')
        .all() as Array<{ id: number; indexed: number }>;
      const delText = this.st.get('DELETE FROM body_text WHERE rowid = ?');
      const delBody = this.st.get('DELETE FROM bodies WHERE id = ?');
      for (const o of orphans) {
        if (o.indexed !== 0) delText.run(o.id);
        delBody.run(o.id);
      }
    });
    const referenced = this.st.get(
      'SELECT EXISTS (SELECT 1 FROM bodies WHERE blob_id = @id) OR EXISTS (SELECT 1 FROM queue WHERE blob_id = @id)',
    );
    referenced.pluck();
    let deleted = 0;
    for await (const { id, mtime } of this.blobs.list()) {
      if (mtime.getTime() >= cutoff.getTime()) continue;
      this.checkOpen();
      if (referenced.get({ id }) !== 0) continue;
      if (await this.blobs.deleteIfOlderThan(id, cutoff)) deleted++;
    }
    return deleted;
  }

  /** `PRAGMA integrity_check`: "ok" when the database file is sound, else the problems, one per line. */
  async integrityCheck(): Promise<string> {
    this.checkOpen();
    const rows = this.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('\n');
  }

  /** Commits pending group-commit work, then closes the database (checkpointing the WAL). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.batcher.flush();
    this.closed = true;
    this.db.close();
  }
}
