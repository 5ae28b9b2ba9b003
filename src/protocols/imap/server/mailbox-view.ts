/**
 * MailboxView: the selected mailbox as one session sees it. Keeps the client's sequence-number → UID map
 * (a sorted UID list: seq = index + 1) and collects changes from the store's change feed (this session's
 * own and others') as pending updates, announced only when the session calls `flush` at a point where the
 * protocol allows it (RFC 3501 §7.4.1 / RFC 9051 §7.5.1: EXPUNGE never during FETCH, STORE or SEARCH by
 * sequence number; EXISTS and FETCH FLAGS at the end of any command or during IDLE).
 *
 * Memory: the UID list is a Uint32Array that is never modified once built. One SharedUidIndex per mailbox
 * (per change feed, i.e. per process) holds the mailbox's current UIDs and the single change-feed
 * subscription; every view of that mailbox references the shared snapshot while its own state equals the
 * mailbox's (the usual case: nothing left unannounced), so N idle sessions on a 100,000-message mailbox
 * share one 400 KB array instead of holding N copies. A view only builds a private array when it must keep
 * showing a state the mailbox has left (an expunge not yet announced while new messages are).
 *
 * Invariants: `uidList` is strictly increasing; a UID expunged in the store stays in it until its
 * EXPUNGE/VANISHED has been sent, so the client's sequence numbers stay valid; new UIDs are appended only
 * when EXISTS is sent. A view whose `version` equals its index's and with nothing pending shows exactly
 * the index's current UIDs. \Recent (RFC 3501 §2.3.2): a view reports as recent the UIDs in
 * [recentFrom, recentTo) (claimed at SELECT) and those the index handed it as the first read-write view.
 * Side effects: the shared index subscribes to the change feed while any view uses it; `close()` releases.
 */

import type { ChangeFeed, FlagUpdate, MailboxChange } from '../../../store/types.js';

export interface FlushResult {
  /** Sequence numbers to announce as EXPUNGE, in the order to send them (descending, so each stays valid). */
  expungedSeqs: number[];
  /** The UIDs behind expungedSeqs (for VANISHED). */
  expungedUids: number[];
  /** New EXISTS count when it changed. */
  exists: number | null;
  /** New RECENT count when new messages were announced (RFC 3501 §7.3.2). */
  recent: number | null;
  flags: Array<{ seq: number; uid: number; flags: string[]; modseq: number }>;
}

const EMPTY = new Uint32Array(0);

/** Index of the first element ≥ uid. */
function lowerBound(a: Uint32Array, uid: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function contains(a: Uint32Array, uid: number): boolean {
  const i = lowerBound(a, uid);
  return i < a.length && a[i] === uid;
}

/** How a SharedUidIndex gets its first listing and claims \Recent for new messages. */
export interface UidSource {
  /** Every UID of the mailbox, ascending. */
  loadUids(mailboxId: number): Promise<Uint32Array | readonly number[]>;
  /** Records that UIDs below `uidNext` are no longer \Recent for later sessions (fire and forget). */
  claimRecent?(mailboxId: number, uidNext: number): void;
}

/**
 * The current UIDs of one mailbox, shared by every view of it in this process. Changes are kept as a small
 * delta (added UIDs, removed UIDs) and folded into a new immutable Uint32Array only when a view asks for it.
 */
export class SharedUidIndex {
  /** Bumped by every event that changes the UID list. */
  version = 0;
  private base: Uint32Array = EMPTY;
  private adds: number[] = [];
  private removes: Set<number> | null = null;
  private maxUid = 0;
  private readonly views = new Set<MailboxView>();
  private loaded = false;
  private early: MailboxChange[] = [];
  private unsubscribe: (() => void) | null;
  readonly ready: Promise<void>;

  constructor(
    private readonly registry: Map<number, SharedUidIndex>,
    feed: ChangeFeed,
    readonly mailboxId: number,
    private readonly source: UidSource,
  ) {
    // Subscribe before listing so nothing is lost in between; early events are deduplicated on load.
    this.unsubscribe = feed.subscribe({ mailboxId }, (c) => this.onChange(c));
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    try {
      const uids = await this.source.loadUids(this.mailboxId);
      this.base = uids instanceof Uint32Array ? uids : Uint32Array.from(uids);
      this.maxUid = this.base.length ? this.base[this.base.length - 1]! : 0;
      this.loaded = true;
      for (const c of this.early.splice(0)) this.onChange(c);
    } catch (e) {
      this.release();
      throw e;
    }
  }

  get size(): number {
    return this.base.length - (this.removes?.size ?? 0) + this.adds.length;
  }

  /** The current UIDs as one immutable array (built at most once per change). */
  current(): Uint32Array {
    if (this.adds.length === 0 && this.removes === null) return this.base;
    const gone = this.removes;
    const out = new Uint32Array(this.size);
    let n = 0;
    for (const u of this.base) if (gone === null || !gone.has(u)) out[n++] = u;
    for (const u of this.adds) out[n++] = u;
    this.base = n === out.length ? out : out.subarray(0, n);
    this.adds = [];
    this.removes = null;
    return this.base;
  }

  attach(view: MailboxView): void {
    this.views.add(view);
  }

  detach(view: MailboxView): void {
    this.views.delete(view);
    if (this.views.size === 0 && this.loaded) this.release();
  }

  private release(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.registry.get(this.mailboxId) === this) this.registry.delete(this.mailboxId);
  }

  private onChange(c: MailboxChange): void {
    if (!this.loaded) {
      this.early.push(c);
      return;
    }
    let fresh: number[] | null = null;
    switch (c.kind) {
      case 'exists':
        for (const uid of c.uids) {
          if (uid <= this.maxUid) continue;
          (fresh ??= []).push(uid);
        }
        if (fresh) {
          fresh.sort((a, b) => a - b);
          for (const u of fresh) this.adds.push(u);
          this.maxUid = fresh[fresh.length - 1]!;
          this.version++;
        }
        break;
      case 'expunge': {
        if (c.mailboxDeleted === true) {
          // The mailbox is gone: its views only have a BYE left to say; a new SELECT starts afresh.
          this.release();
          for (const v of this.views) v.markDeleted();
          this.views.clear();
          return;
        }
        let changed = false;
        for (const uid of c.uids) {
          const i = this.adds.length && uid >= this.adds[0]! ? this.adds.indexOf(uid) : -1;
          if (i >= 0) {
            this.adds.splice(i, 1);
            changed = true;
          } else if (contains(this.base, uid) && !(this.removes?.has(uid) ?? false)) {
            (this.removes ??= new Set()).add(uid);
            changed = true;
          }
        }
        if (changed) this.version++;
        break;
      }
      default:
        break;
    }
    // RFC 3501 §2.3.2: new messages are \Recent in the first session (read-write) told of them.
    let claimer: MailboxView | null = null;
    if (fresh) {
      for (const v of this.views) {
        if (!v.readOnly) {
          claimer = v;
          break;
        }
      }
      if (claimer) this.source.claimRecent?.(this.mailboxId, this.maxUid + 1);
    }
    for (const v of this.views) v.onChange(c, fresh, v === claimer);
  }
}

/** Per change feed (one per store, so per process): mailbox id → shared index. */
const registries = new WeakMap<ChangeFeed, Map<number, SharedUidIndex>>();

/** The shared index of a mailbox, created (and listed through `source`) on first use. */
export function sharedIndexFor(feed: ChangeFeed, mailboxId: number, source: UidSource): SharedUidIndex {
  let reg = registries.get(feed);
  if (reg === undefined) {
    reg = new Map();
    registries.set(feed, reg);
  }
  let idx = reg.get(mailboxId);
  if (idx === undefined) {
    idx = new SharedUidIndex(reg, feed, mailboxId, source);
    reg.set(mailboxId, idx);
  }
  return idx;
}

/** Opens a view of the mailbox: waits for its shared index, then starts from the index's current state. */
export async function openMailboxView(
  feed: ChangeFeed,
  mailboxId: number,
  source: UidSource,
  opts: { highestModseq: number; readOnly: boolean; recentFrom: number; recentTo: number },
): Promise<MailboxView> {
  for (;;) {
    const idx = sharedIndexFor(feed, mailboxId, source);
    await idx.ready;
    // The index may have been released (its last view closed) while we waited: take a fresh one then.
    if (registries.get(feed)?.get(mailboxId) !== idx) continue;
    return new MailboxView(idx, opts.highestModseq, opts.readOnly, opts.recentFrom, opts.recentTo);
  }
}

export class MailboxView {
  /** Client-visible UIDs; seq = index + 1. Immutable; often shared with other views. */
  uidList: Uint32Array;
  highestModseq: number;
  /** Called when something is pending (IDLE pushes it out). */
  onPending: (() => void) | null = null;
  /** The mailbox was deleted (by another session): the session must say BYE. */
  deleted = false;
  /** The index version the view reaches once everything pending is announced. */
  private version: number;
  private pendingExpunge: Set<number> | null = null;
  private pendingNew: number[] | null = null;
  private pendingFlags: Map<number, FlagUpdate> | null = null;
  /** UIDs claimed as \Recent after SELECT (new messages this view was the first to see). */
  private recentExtra: Set<number> | null = null;
  private index: SharedUidIndex | null;

  constructor(
    index: SharedUidIndex,
    highestModseq: number,
    readonly readOnly: boolean,
    /** RFC 3501 §2.3.2: the UIDs in [recentFrom, recentTo) were \Recent for this session at SELECT. */
    readonly recentFrom: number,
    readonly recentTo: number,
  ) {
    this.index = index;
    this.uidList = index.current();
    this.version = index.version;
    this.highestModseq = highestModseq;
    index.attach(this);
  }

  /**
   * The UIDs as a plain array. A copy (O(n)): prefer `uidList`, `uidAt`, `lastUid` and `seqOf` where
   * possible; kept for callers written against the earlier number[] field.
   */
  get uids(): number[] {
    return Array.from(this.uidList);
  }

  get exists(): number {
    return this.uidList.length;
  }

  /** UID at a 1-based sequence number (undefined beyond the view). */
  uidAt(seq: number): number | undefined {
    return this.uidList[seq - 1];
  }

  get lastUid(): number {
    return this.uidList.length ? this.uidList[this.uidList.length - 1]! : 0;
  }

  /** 1-based sequence number of a UID, or 0 when not in the view. */
  seqOf(uid: number): number {
    const i = lowerBound(this.uidList, uid);
    return i < this.uidList.length && this.uidList[i] === uid ? i + 1 : 0;
  }

  /** Expunged in the store but not yet announced (FETCH skips them). */
  isExpunged(uid: number): boolean {
    return this.pendingExpunge?.has(uid) ?? false;
  }

  /** RFC 3501 §2.3.2: whether the message is \Recent for this session. */
  isRecent(uid: number): boolean {
    return (uid >= this.recentFrom && uid < this.recentTo) || (this.recentExtra?.has(uid) ?? false);
  }

  /** Number of visible messages that are \Recent for this session (RECENT response). */
  get recentCount(): number {
    let n = this.recentTo > this.recentFrom ? lowerBound(this.uidList, this.recentTo) - lowerBound(this.uidList, this.recentFrom) : 0;
    if (this.recentExtra) for (const u of this.recentExtra) if (this.seqOf(u)) n++;
    return n;
  }

  get hasPending(): boolean {
    return (this.pendingExpunge?.size ?? 0) > 0 || (this.pendingNew?.length ?? 0) > 0 || (this.pendingFlags?.size ?? 0) > 0 || this.deleted;
  }

  /** The mailbox is gone (deleted by another session): nothing more will be announced but the BYE. */
  markDeleted(): void {
    this.deleted = true;
    this.index = null;
    this.pendingExpunge = null;
    this.pendingNew = null;
    this.pendingFlags = null;
    this.onPending?.();
  }

  /** Called by the shared index with each change, after the index applied it (`fresh`: its new UIDs). */
  onChange(c: MailboxChange, fresh: readonly number[] | null, claim: boolean): void {
    switch (c.kind) {
      case 'exists':
        if (fresh) {
          const pn = (this.pendingNew ??= []);
          for (const uid of fresh) pn.push(uid);
          if (claim) for (const uid of fresh) (this.recentExtra ??= new Set()).add(uid);
        }
        this.highestModseq = Math.max(this.highestModseq, c.modseq);
        break;
      case 'expunge':
        for (const uid of c.uids) {
          this.pendingFlags?.delete(uid);
          this.recentExtra?.delete(uid);
          const i = this.pendingNew ? this.pendingNew.indexOf(uid) : -1;
          if (i >= 0) this.pendingNew!.splice(i, 1);
          else if (this.seqOf(uid)) (this.pendingExpunge ??= new Set()).add(uid);
        }
        this.highestModseq = Math.max(this.highestModseq, c.modseq);
        break;
      case 'flags':
        for (const u of c.updates) {
          const pf = (this.pendingFlags ??= new Map());
          const prev = pf.get(u.uid);
          if (!prev || prev.modseq < u.modseq) pf.set(u.uid, u);
          this.highestModseq = Math.max(this.highestModseq, u.modseq);
        }
        break;
      default:
        return;
    }
    if (this.index) this.version = this.index.version;
    if (this.onPending && this.hasPending) this.onPending();
  }

  /** Forget flag updates this session already reported itself (STORE responses, FETCH setting \Seen). */
  dropFlagUpdates(reported: ReadonlyArray<{ uid: number; modseq: number }>): void {
    const pf = this.pendingFlags;
    if (!pf) return;
    for (const r of reported) {
      const p = pf.get(r.uid);
      if (p && p.modseq <= r.modseq) pf.delete(r.uid);
    }
  }

  /**
   * Applies pending changes to the seq map and returns what to announce. With `allowExpunge` false, expunges
   * stay pending (RFC 3501 §7.4.1) and new messages are still announced.
   */
  flush(allowExpunge: boolean): FlushResult {
    const res: FlushResult = { expungedSeqs: [], expungedUids: [], exists: null, recent: null, flags: [] };
    if (this.deleted) return res;
    let gone: Set<number> | null = null;
    if (allowExpunge && this.pendingExpunge?.size) {
      const seqs: number[] = [];
      for (const uid of this.pendingExpunge) {
        const s = this.seqOf(uid);
        if (s) seqs.push(s);
      }
      seqs.sort((a, b) => b - a);
      res.expungedSeqs = seqs;
      res.expungedUids = seqs.map((s) => this.uidList[s - 1]!).reverse();
      gone = this.pendingExpunge;
      this.pendingExpunge = null;
    }
    const added = this.pendingNew?.length ? this.pendingNew : null;
    this.pendingNew = null;
    if (gone || added) {
      const idx = this.index;
      if (idx && !this.pendingExpunge?.size && this.version === idx.version) {
        // Caught up with the mailbox: share its current snapshot instead of building a copy.
        this.uidList = idx.current();
      } else {
        const out = new Uint32Array(this.uidList.length - (gone?.size ?? 0) + (added?.length ?? 0));
        let n = 0;
        for (const u of this.uidList) if (gone === null || !gone.has(u)) out[n++] = u;
        if (added) for (const u of added) out[n++] = u;
        this.uidList = n === out.length ? out : out.slice(0, n);
      }
      if (added) {
        res.exists = this.uidList.length;
        res.recent = this.recentCount;
      }
    }
    const pf = this.pendingFlags;
    if (pf?.size) {
      for (const [uid, u] of pf) {
        if (this.pendingExpunge?.has(uid)) continue;
        const seq = this.seqOf(uid);
        if (seq) res.flags.push({ seq, uid, flags: u.flags, modseq: u.modseq });
      }
      this.pendingFlags = null;
      res.flags.sort((a, b) => a.seq - b.seq);
    }
    return res;
  }

  close(): void {
    this.onPending = null;
    this.index?.detach(this);
    this.index = null;
  }
}
