/**
 * The store's contract: interfaces and types only (DESIGN.md "store/"). Protocol code depends on these and
 * never on SQLite. Every method is async so that a PostgreSQL implementation fits behind the same interface.
 *
 * Invariants every implementation keeps (checked by test/contract):
 * - UIDs in a mailbox strictly increase and are never reused while UIDVALIDITY stays the same.
 * - MODSEQ per mailbox strictly increases with every change (new message, flag change, expunge).
 * - A body referenced by committed metadata is durable (BlobStore.put resolved before the commit).
 * - A method that rejects has changed nothing (one transaction per call).
 * - Addresses are stored lower-case with the domain in A-label (punycode) form; callers normalise first.
 *
 * Errors: `StoreError` from lib/errors with kind 'not-found' | 'exists' | 'in-use' | 'invalid' | 'conflict'.
 */

import type { Envelope, MessageStructure } from '../mail/structure.js';
import type { AddressHeaderName, AddressSearchTexts } from '../mail/search-text.js';

// ---------------------------------------------------------------------------------------------------------
// Accounts, domains, aliases

export type UnknownRecipientPolicy = 'reject' | 'catch-all';

export interface Domain {
  /** A-label, lower-case, no trailing dot. */
  name: string;
  unknownPolicy: UnknownRecipientPolicy;
  /** Full address that receives mail for unknown local parts when unknownPolicy = 'catch-all'. */
  catchAll: string | null;
  createdAt: Date;
}

export interface DomainInput {
  name: string;
  unknownPolicy?: UnknownRecipientPolicy;
  catchAll?: string | null;
}

export interface Account {
  id: number;
  /** Full address, lower-case, domain in A-label form. */
  address: string;
  domain: string;
  /** PHC string (argon2id) or a migrated scheme prefix such as `{SHA512-CRYPT}$6$...`; never a clear password. */
  passwordHash: string;
  /** Bytes; 0 = unlimited. */
  quotaBytes: number;
  enabled: boolean;
  /** Extra addresses this account may send as (submission's "may send as" list). */
  sendAs: string[];
  createdAt: Date;
}

export interface AccountInput {
  address: string;
  passwordHash: string;
  quotaBytes?: number;
  enabled?: boolean;
}

export interface AccountPatch {
  passwordHash?: string;
  quotaBytes?: number;
  enabled?: boolean;
  sendAs?: string[];
}

export interface Alias {
  /** Source address, or `@domain` is not allowed here: catch-all is a domain setting. */
  address: string;
  /** Target addresses (local or remote), in insertion order, no duplicates. */
  targets: string[];
}

export interface AccountStore {
  addDomain(input: DomainInput): Promise<Domain>;
  getDomain(name: string): Promise<Domain | null>;
  listDomains(): Promise<Domain[]>;
  updateDomain(name: string, patch: Omit<DomainInput, 'name'>): Promise<Domain>;
  /** Refuses with 'in-use' while accounts or aliases of the domain exist. */
  removeDomain(name: string): Promise<void>;

  /** Creates the account and its mailboxes: INBOX, Sent, Drafts, Trash, Junk, Archive (special-use). */
  createAccount(input: AccountInput): Promise<Account>;
  getAccount(address: string): Promise<Account | null>;
  getAccountById(id: number): Promise<Account | null>;
  listAccounts(domain?: string): Promise<Account[]>;
  updateAccount(address: string, patch: AccountPatch): Promise<Account>;
  /** Removes the account, its mailboxes and message references (bodies are collected later). */
  removeAccount(address: string): Promise<void>;

  /** Adds targets to an alias (creating it); duplicates are ignored. */
  addAlias(address: string, targets: string[]): Promise<Alias>;
  getAlias(address: string): Promise<Alias | null>;
  listAliases(domain?: string): Promise<Alias[]>;
  /** Removes one target, or the whole alias when target is omitted. */
  removeAlias(address: string, target?: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Mailboxes and messages

export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export interface Mailbox {
  id: number;
  accountId: number;
  /** Full name with '/' as hierarchy separator, in UTF-8; "INBOX" is always spelled that way. */
  name: string;
  specialUse: SpecialUse | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
}

export interface MailboxStatus {
  messages: number;
  unseen: number;
  /** Messages with \Deleted. */
  deleted: number;
  /** Sum of message sizes (RFC 8438 STATUS=SIZE). */
  size: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
  /** Messages \Recent for the next session (RFC 3501 §2.3.2; not claimed by any session yet). */
  recent?: number;
}

/** What a mailbox listing (SELECT, FETCH FLAGS, POP3 LIST) needs: no body, no structure. */
export interface MessageSummary {
  uid: number;
  modseq: number;
  /** System flags (\Seen, \Answered, \Flagged, \Deleted, \Draft) and keywords, in stored order. */
  flags: string[];
  internalDate: Date;
  /** Octets of the message as served: header prefix + body. */
  size: number;
}

/** Store.searchSubject's answer: exact matches, and candidates that need the exact check. */
export interface SubjectMatches {
  sure: number[];
  maybe: number[];
}

/** What IMAP SELECT needs of a mailbox without a summary per message. */
export interface MailboxIndex {
  /** Every UID, ascending (empty when asked with `uids: false`). */
  uids: number[];
  /** The lowest UID without \Seen, or 0 when every message is seen. */
  firstUnseenUid: number;
  /** The keywords (non-system flags) in use, each once. */
  keywords: string[];
}

/** A summary with the message's cached envelope (IMAP FETCH ENVELOPE, SORT, THREAD): no full structure. */
export interface EnvelopeSummary extends MessageSummary {
  envelope: Envelope;
}

/**
 * A SORT key the store keeps per message (RFC 5256 §3, RFC 5957): `arrival` the internal date, `date` the
 * Date header's instant else the internal date, `size` the size served; the others are the lower-cased
 * strings of mail/sort-keys.ts (base subject, first From/To/Cc mailbox, display names).
 */
export type SortKeyName = 'arrival' | 'date' | 'size' | 'subject' | 'from' | 'to' | 'cc' | 'displayfrom' | 'displayto';

/** The sort keys that are numbers (instants in ms, sizes in octets): their order is the same everywhere. */
export type NumericSortKeyName = 'arrival' | 'date' | 'size';

/** `[uid, value of each requested key in the order asked]`: numbers for arrival/date/size, strings otherwise. */
export type SortKeyRow = Array<number | string>;

/**
 * A summary with the cached IMAP wire forms of its body's ENVELOPE, BODYSTRUCTURE and BODY (FETCH of these items
 * for many messages). The cache is opaque to the store, written by the IMAP layer with a version of its encoder
 * (putBodyCache). A text is null when there is none of the version asked, or when it is '' (the writer's mark
 * for "not cacheable"); the data to compute it from is then given when it was asked for.
 */
export interface BodyCacheSummary extends MessageSummary {
  envelopeText: string | null;
  bodyStructure: string | null;
  body: string | null;
  /** The stored envelope, when asked for and envelopeText is null. */
  envelope: Envelope | null;
  /** The parse, when asked for and bodyStructure or body is null. */
  structure: MessageStructure | null;
}

/**
 * One part of a Store.listLines format: text as it is, or a field of each message: 'flags' as in FlagRow, 'seq'
 * the UID minus the format's seqOffset, 'envelope' / 'bodyStructure' / 'body' the cached texts of the format's
 * textVersion (Store.getBodyCache).
 */
export type LinePart = string | { field: 'uid' | 'seq' | 'modseq' | 'flags' | 'envelope' | 'bodyStructure' | 'body' };

/**
 * `[uid, envelope, bodyStructure, body]`: the cached wire texts of a message's body (Store.getCachedTexts), null
 * where no text of the asked version is stored (or it was not asked for).
 */
export type CachedTextRow = [uid: number, envelope: string | null, bodyStructure: string | null, body: string | null];

/** Texts to remember for the body of message `uid` (absent ones are kept when the version is the same). */
export interface BodyCacheEntry {
  uid: number;
  envelope?: string;
  bodyStructure?: string;
  body?: string;
}

/** `[uid, modseq, flags]`, the flags space-separated in stored order (system flags, then keywords). */
export type FlagRow = [uid: number, modseq: number, flags: string];

/**
 * The flags of a UID range packed into one text (Store.listFlagText): a flag listing of many messages without an
 * object or array per message. `text` holds one line per message, separated by "\n", in UID order:
 * `uid [modseq] code keywords`, fields separated by one space, the modseq only when asked; `code` indexes
 * `systemFlags` (the message's system flags as IMAP atoms, space-separated, in canonical order: the same order
 * as MessageSummary.flags), and `keywords` is the rest of the line (space-separated, empty when none). An empty
 * range gives ''.
 */
export interface FlagListing {
  text: string;
  systemFlags: readonly string[];
}

/** Everything needed to serve a message's content. */
export interface StoredMessage extends MessageSummary {
  mailboxId: number;
  blobId: string;
  /**
   * Per-recipient header lines stored with the message row, served before the body (Return-Path,
   * Delivered-To): one body is shared by every local recipient while each copy has its own trace headers.
   * CRLF-terminated; empty when none.
   */
  prefix: string;
  /** Parse of the body blob; offsets are relative to the blob, not to prefix + blob. */
  structure: MessageStructure;
}

/** What a POP3 session needs of a message (listMaildrop): no flags, no parsed structure. */
export interface MaildropEntry {
  uid: number;
  blobId: string;
  /** Size of the body blob in octets (StoredMessage.size minus the prefix). */
  blobSize: number;
  /** StoredMessage.prefix. */
  prefix: string;
  /** The body's MessageStructure.crlfSize; null when its structure was stored before that field existed. */
  crlfSize: number | null;
}

/** A body already written durably to the BlobStore, with its parse, ready to be referenced. */
export interface BodyInput {
  blobId: string;
  /** Size of the blob in octets. */
  size: number;
  structure: MessageStructure;
  /**
   * Decoded text for the full-text index: header values and text parts, decoded; `subject` what SEARCH SUBJECT
   * scans (mail/search-text.ts subjectSearchText; absent: none stored, the body stays a candidate); `addresses`
   * what SEARCH FROM/TO/CC/BCC scan (addressSearchTexts; absent likewise).
   */
  searchText?: { headers: string; body: string; subject?: string | null; addresses?: AddressSearchTexts };
}

export interface DeliveryTarget {
  accountId: number;
  /** Mailbox name (default INBOX); when it does not exist the message goes to INBOX. */
  mailbox?: string;
  flags?: string[];
  /** Per-recipient header lines (CRLF-terminated), see StoredMessage.prefix. */
  prefix?: string;
}

export interface DeliveryResult {
  accountId: number;
  mailboxId: number;
  uid: number;
  modseq: number;
}

export type FlagOperation = 'set' | 'add' | 'remove';

export interface FlagUpdate {
  uid: number;
  flags: string[];
  modseq: number;
}

export interface StoreFlagsResult {
  updated: FlagUpdate[];
  /** UIDs skipped by UNCHANGEDSINCE (RFC 7162 §3.1.3). */
  modified: number[];
}

export interface CopyResult {
  /** Pairs of source UID and new destination UID, in source UID order (RFC 4315 COPYUID). */
  mapping: Array<{ sourceUid: number; destUid: number }>;
  destUidValidity: number;
}

export interface MailStore {
  listMailboxes(accountId: number): Promise<Mailbox[]>;
  getMailbox(accountId: number, name: string): Promise<Mailbox | null>;
  getMailboxById(id: number): Promise<Mailbox | null>;
  /** Creates missing parents too (RFC 3501 §6.3.3). 'exists' if the name is taken. */
  createMailbox(accountId: number, name: string, opts?: { specialUse?: SpecialUse | null }): Promise<Mailbox>;
  /** Deletes the mailbox and its messages; INBOX cannot be deleted ('invalid'). */
  deleteMailbox(id: number): Promise<void>;
  /** Renames the mailbox and its children; gives a new UIDVALIDITY only if the implementation must. */
  renameMailbox(id: number, newName: string): Promise<Mailbox>;
  listSubscriptions(accountId: number): Promise<string[]>;
  setSubscribed(accountId: number, name: string, subscribed: boolean): Promise<void>;
  getMailboxStatus(id: number): Promise<MailboxStatus>;
  /** Bytes and messages used by an account, for quota checks. */
  getUsage(accountId: number): Promise<{ bytes: number; messages: number }>;

  /** Local delivery of one body to many recipients in one transaction. */
  deliver(body: BodyInput, targets: DeliveryTarget[], internalDate?: Date): Promise<DeliveryResult[]>;
  /** IMAP APPEND. */
  appendMessage(
    mailboxId: number,
    body: BodyInput,
    opts?: { flags?: string[]; internalDate?: Date; prefix?: string },
  ): Promise<DeliveryResult>;

  /** Summaries in UID order; optionally a UID range (inclusive) and/or only those with modseq > changedSince. */
  listMessages(
    mailboxId: number,
    opts?: { uidFrom?: number; uidTo?: number; changedSince?: number },
  ): Promise<MessageSummary[]>;
  /** The flags of the messages in a UID range (inclusive), in UID order: a flag listing without summaries. */
  listFlags(mailboxId: number, range: { uidFrom: number; uidTo: number }): Promise<FlagRow[]>;
  /**
   * One text line per message of a UID range, in UID order, joined by `separator`: `parts` concatenated (see
   * LinePart), as UTF-8 bytes (ready for the wire: no JavaScript string is made of a large listing). Null when the
   * store cannot promise the order or a message lacks a cached text it names (the caller then reads rows); an
   * empty buffer for no message.
   */
  listLines(
    mailboxId: number,
    range: { uidFrom: number; uidTo: number },
    format: { parts: readonly LinePart[]; separator: string; seqOffset: number; textVersion?: number },
  ): Promise<Buffer | null>;
  /** The same as listFlags packed into one text (see FlagListing); `modseq` adds each message's modseq. */
  listFlagText(mailboxId: number, range: { uidFrom: number; uidTo: number }, opts: { modseq: boolean }): Promise<FlagListing>;
  /** Full rows for the given UIDs (missing UIDs are skipped), in UID order. */
  getMessages(mailboxId: number, uids: number[]): Promise<StoredMessage[]>;
  /** POP3's maildrop (RFC 1939): every message of a mailbox, in UID order, without flags or structure. */
  listMaildrop(mailboxId: number): Promise<MaildropEntry[]>;
  /** UIDs, first unseen UID and keywords in use of a mailbox (IMAP SELECT), read in one snapshot. */
  getMailboxIndex(mailboxId: number, opts?: { uids?: boolean }): Promise<MailboxIndex>;
  /** Every UID of a mailbox, ascending, packed (IMAP SELECT's sequence-number map). */
  getMailboxUids(mailboxId: number): Promise<Uint32Array>;
  /**
   * RFC 3501 §2.3.2 \Recent: the range [from, to) of UIDs not yet claimed by any session (`to`: UIDNEXT, or
   * `upTo` when lower). With claim, they become the caller's (later claims do not get them).
   */
  claimRecent(mailboxId: number, opts: { claim: boolean; upTo?: number }): Promise<{ from: number; to: number }>;
  /** Summaries with their envelopes for the given UIDs (missing UIDs are skipped), in UID order. */
  getEnvelopes(mailboxId: number, uids: number[]): Promise<EnvelopeSummary[]>;
  /** Sort keys of the given UIDs (missing UIDs skipped), in UID order; see SortKeyRow. */
  getSortKeys(mailboxId: number, uids: number[], keys: readonly SortKeyName[]): Promise<SortKeyRow[]>;
  /**
   * Every UID of the mailbox sorted by numeric keys (each ascending, or descending when `reverse`), ties
   * in ascending UID order: SORT ALL without a row per message in JS.
   */
  getSortedUids(mailboxId: number, criteria: ReadonlyArray<{ key: NumericSortKeyName; reverse: boolean }>): Promise<number[]>;
  /**
   * Summaries with the cached wire texts of their bodies for `version` (missing UIDs skipped), in UID order;
   * `want` says which texts to read (envelope: the ENVELOPE; structure: BODYSTRUCTURE and BODY; the others come
   * back null) and that their sources are to be returned where a text is missing (see BodyCacheSummary).
   */
  getBodyCache(mailboxId: number, uids: number[], version: number, want: { envelope: boolean; structure: boolean }): Promise<BodyCacheSummary[]>;
  /** Stores texts for the bodies of these messages; an entry of another version is replaced as a whole. */
  putBodyCache(mailboxId: number, version: number, entries: readonly BodyCacheEntry[]): Promise<void>;
  /**
   * Only the cached texts of `version` for `uids` (no summary, no sources for missing texts), in UID order,
   * missing UIDs skipped: FETCH BODYSTRUCTURE and the like once the cache is filled.
   */
  getCachedTexts(
    mailboxId: number,
    uids: number[],
    version: number,
    want: { envelope: boolean; bodyStructure: boolean; body: boolean },
  ): Promise<CachedTextRow[]>;
  storeFlags(
    mailboxId: number,
    uids: number[],
    op: FlagOperation,
    flags: string[],
    opts?: { unchangedSince?: number },
  ): Promise<StoreFlagsResult>;
  /**
   * Removes messages. With onlyDeleted (IMAP EXPUNGE) only those flagged \Deleted among `uids` (all when
   * omitted); without it (POP3 DELE at QUIT) exactly `uids`. Returns the removed UIDs and the new modseq.
   */
  expunge(mailboxId: number, opts: { uids?: number[]; onlyDeleted: boolean }): Promise<{ uids: number[]; modseq: number }>;
  copyMessages(sourceMailboxId: number, uids: number[], destMailboxId: number): Promise<CopyResult>;
  /** RFC 6851 MOVE: copy and expunge in one transaction. */
  moveMessages(sourceMailboxId: number, uids: number[], destMailboxId: number): Promise<CopyResult & { expungeModseq: number }>;
  /** UIDs expunged with modseq > sinceModseq (RFC 7162 QRESYNC VANISHED). */
  vanishedSince(mailboxId: number, sinceModseq: number): Promise<number[]>;
  /** Candidate UIDs whose indexed text may contain every term (superset; callers confirm exactly). */
  searchText(mailboxId: number, terms: string[], field: 'body' | 'text'): Promise<number[]>;
  /**
   * IMAP SEARCH SUBJECT `value` (RFC 9051 §6.4.4): the messages one of whose decoded top-level Subject values (of
   * prefix + header, as the IMAP check parses them) contains `value` case-insensitively (String.prototype.toLowerCase
   * on both; an empty value: every message with a Subject field). `sure`: UIDs that match exactly; `maybe`: UIDs
   * that may match and need the exact check; a UID in neither does not match. Both ascending, disjoint.
   */
  searchSubject(mailboxId: number, value: string): Promise<SubjectMatches>;
  /**
   * IMAP SEARCH FROM/TO/CC/BCC `value` (RFC 9051 §6.4.4), as searchSubject for the top-level fields called `field`:
   * those whose decoded values (MessageFields.header) contain `value` case-insensitively; an empty value: every
   * message with such a field. `sure` exact, `maybe` needs the exact check, a UID in neither does not match.
   */
  searchHeader(mailboxId: number, field: AddressHeaderName, value: string): Promise<SubjectMatches>;
  /**
   * IMAP SEARCH flag keys (RFC 9051 §6.4.4 SEEN, UNSEEN, FLAGGED, KEYWORD, UNKEYWORD, ...): the UIDs of the messages
   * that have `flag` (`present`) or lack it, ascending. Flags compare as SEARCH compares MessageSummary.flags:
   * case-insensitively (String.prototype.toLowerCase on both; RFC 3501 §2.3.2), so a system flag pochta does not
   * store (\Recent, an unknown one) is on no message. Lacking \Seen is the cheap side of \Seen (an index of the
   * unseen); keywords are read by distinct keyword lists, not per message.
   */
  searchFlag(mailboxId: number, flag: string, present: boolean): Promise<number[]>;
  /**
   * IMAP SEARCH size and date keys (RFC 9051 §6.4.4 LARGER, SMALLER, BEFORE, ON, SINCE, SENTBEFORE, SENTON,
   * SENTSINCE; RFC 5032 OLDER, YOUNGER): the UIDs of the messages whose `field` is at least `min` and below `max`
   * (null: no bound), ascending. See RangeField for what each field holds.
   */
  searchRange(mailboxId: number, field: RangeField, min: number | null, max: number | null): Promise<number[]>;
}

/**
 * A message value Store.searchRange compares: 'size' (MessageSummary.size), 'internalDate' (ms), 'sentDate' (ms of
 * 00:00 UTC of the Date header's day as written, mail/sent-day.ts sentDayMs; the internal date when it gives none).
 */
export type RangeField = 'size' | 'internalDate' | 'sentDate';

// ---------------------------------------------------------------------------------------------------------
// Bodies

export interface BlobRef {
  /** Content address: lower-case hex SHA-256 of the bytes. */
  id: string;
  size: number;
}

/** A body being written; nothing is visible until commit() resolves, and then it is durable. */
export interface BlobWriter {
  write(chunk: Buffer): Promise<void>;
  commit(): Promise<BlobRef>;
  abort(): Promise<void>;
}

export interface BlobStore {
  /** Writes, fsyncs the file and its directory, then resolves. Same content → same id, one copy. */
  put(data: Buffer): Promise<BlobRef>;
  createWriter(): BlobWriter;
  read(id: string): Promise<Buffer>;
  /** Reads bytes [start, end) of a blob. */
  readRange(id: string, start: number, end: number): Promise<Buffer>;
  createReadStream(id: string, range?: { start: number; end: number }): NodeJS.ReadableStream;
  has(id: string): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Ids of every stored blob with its modification time (for garbage collection). */
  list(): AsyncIterable<{ id: string; mtime: Date }>;
}

// ---------------------------------------------------------------------------------------------------------
// Outbound queue

export type QueueState = 'queued' | 'active' | 'deferred' | 'held' | 'done';
export type RecipientState = 'pending' | 'delivered' | 'failed' | 'deferred';
export type DsnNotify = 'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY';

export interface QueueRecipient {
  address: string;
  /** RFC 3461 ORCPT, e.g. "rfc822;user@example.com". */
  orcpt: string | null;
  notify: DsnNotify[] | null;
  state: RecipientState;
  /** Last reply or error text for this recipient. */
  lastResult: string | null;
  attempts: number;
}

export interface QueueEntryInput {
  /** Envelope sender; '' for the null reverse-path (bounces). */
  sender: string;
  recipients: Array<{ address: string; orcpt?: string | null; notify?: DsnNotify[] | null }>;
  blobId: string;
  size: number;
  envid?: string | null;
  ret?: 'FULL' | 'HDRS' | null;
  /** The message needs SMTPUTF8 from the next hop. */
  smtputf8?: boolean;
  /** 8BITMIME body. */
  eightBit?: boolean;
  /** First attempt time; default now. */
  nextAttemptAt?: Date;
}

export interface QueueEntry {
  id: string;
  sender: string;
  recipients: QueueRecipient[];
  blobId: string;
  size: number;
  envid: string | null;
  ret: 'FULL' | 'HDRS' | null;
  smtputf8: boolean;
  eightBit: boolean;
  state: QueueState;
  createdAt: Date;
  nextAttemptAt: Date;
  attempts: number;
  lastError: string | null;
  delayWarned: boolean;
}

export interface QueueStore {
  enqueue(input: QueueEntryInput): Promise<QueueEntry>;
  getQueueEntry(id: string): Promise<QueueEntry | null>;
  listQueue(opts?: { state?: QueueState }): Promise<QueueEntry[]>;
  /** Atomically moves up to `limit` due 'queued'/'deferred' entries to 'active' and returns them. */
  claimDue(now: Date, limit: number): Promise<QueueEntry[]>;
  /** Records an attempt: per-recipient results, next state and next attempt time. */
  recordAttempt(
    id: string,
    update: {
      recipients: Array<{ address: string; state: RecipientState; lastResult: string | null }>;
      state: QueueState;
      nextAttemptAt?: Date;
      lastError?: string | null;
      delayWarned?: boolean;
    },
  ): Promise<QueueEntry>;
  /**
   * Records the final attempt of an entry and deletes it, in ONE commit: every recipient listed gets its final
   * state ('delivered' or 'failed'; anything else is `invalid`), then the entry goes. Refused (`invalid`, nothing
   * changed) while a recipient of the entry would stay pending or deferred; `not-found` for an unknown entry
   * or recipient.
   */
  completeQueueEntry(
    id: string,
    recipients: Array<{ address: string; state: RecipientState; lastResult: string | null }>,
  ): Promise<void>;
  setQueueState(id: string, state: QueueState, nextAttemptAt?: Date): Promise<QueueEntry>;
  deleteQueueEntry(id: string): Promise<void>;
  /** After a crash or restart: every 'active' entry goes back to 'queued'. Returns how many. */
  requeueActive(): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------
// Change feed: how sessions learn about each other's changes (new mail, flags, expunges).

export type MailboxChange =
  | { kind: 'exists'; mailboxId: number; uids: number[]; modseq: number }
  | { kind: 'flags'; mailboxId: number; updates: FlagUpdate[] }
  /** mailboxDeleted: the mailbox itself is gone (DELETE); its remaining UIDs are listed. */
  | { kind: 'expunge'; mailboxId: number; uids: number[]; modseq: number; mailboxDeleted?: boolean }
  | { kind: 'mailboxes'; accountId: number };

export interface ChangeFeed {
  /** Listen for changes of one mailbox (or, with 'mailboxes' events, of one account's mailbox list). */
  subscribe(
    target: { mailboxId: number } | { accountId: number },
    listener: (change: MailboxChange) => void,
  ): () => void;
}

// ---------------------------------------------------------------------------------------------------------
// Abuse defence state (antispam/): greylisting triplets and temporary IP bans, each with an expiry.

export interface GreylistEntry {
  /** The triplet key the greylist policy made (client network, sender, recipient). */
  key: string;
  firstSeen: Date;
  lastSeen: Date;
  /** A retry came after the delay: later messages pass at once. */
  passed: boolean;
  /** After this the entry is forgotten (expireAbuseState deletes it; reads ignore it). */
  expiresAt: Date;
}

export interface Ban {
  /** Banned client IP (canonical text). */
  ip: string;
  reason: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface AbuseStore {
  /** The entry, or null when there is none or it expired before `now`. */
  getGreylistEntry(key: string, now: Date): Promise<GreylistEntry | null>;
  /** Inserts or replaces the entry of `entry.key`. */
  putGreylistEntry(entry: GreylistEntry): Promise<void>;
  /** Inserts or replaces the ban of `ban.ip`. */
  addBan(ban: Ban): Promise<void>;
  /** The ban of `ip` in force at `now`, or null. */
  getBan(ip: string, now: Date): Promise<Ban | null>;
  /** Bans in force at `now`, by IP. */
  listBans(now: Date): Promise<Ban[]>;
  /** Lifts the ban of `ip`; false when there was none. */
  removeBan(ip: string): Promise<boolean>;
  /** Deletes greylist entries and bans that expired before `now`; returns how many rows went. */
  expireAbuseState(now: Date): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------

export interface Store extends AccountStore, MailStore, QueueStore, AbuseStore {
  readonly blobs: BlobStore;
  readonly changes: ChangeFeed;
  /**
   * Deletes blobs that no message or queue entry references and that are older than `graceMs` (so a body
   * written for a transaction that has not committed yet is never taken). Returns how many were deleted.
   */
  collectGarbage(opts?: { graceMs?: number }): Promise<number>;
  close(): Promise<void>;
}
