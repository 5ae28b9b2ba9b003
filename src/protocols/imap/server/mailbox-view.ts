/**
 * MailboxView: the selected mailbox as one session sees it. Keeps the client's sequence-number → UID map
 * (a sorted UID array: seq = index + 1) and collects changes from the store's change feed (this session's
 * own and others') as pending updates, announced only when the session calls `flush` at a point where the
 * protocol allows it (RFC 3501 §7.4.1 / RFC 9051 §7.5.1: EXPUNGE never during FETCH, STORE or SEARCH by
 * sequence number; EXISTS and FETCH FLAGS at the end of any command or during IDLE).
 *
 * Invariants: `uids` is strictly increasing; a UID expunged in the store stays in `uids` until its
 * EXPUNGE/VANISHED has been sent, so the client's sequence numbers stay valid; new UIDs are appended only
 * when EXISTS is sent. Side effects: one change-feed subscription, released by `close()`.
 */

import type { ChangeFeed, FlagUpdate, MailboxChange } from '../../../store/types.js';

export interface FlushResult {
  /** Sequence numbers to announce as EXPUNGE, in the order to send them (descending, so each stays valid). */
  expungedSeqs: number[];
  /** The UIDs behind expungedSeqs (for VANISHED). */
  expungedUids: number[];
  /** New EXISTS count when it changed. */
  exists: number | null;
  flags: Array<{ seq: number; uid: number; flags: string[]; modseq: number }>;
}

export class MailboxView {
  /** Client-visible UIDs; seq = index + 1. */
  uids: number[];
  highestModseq: number;
  /** Called when something is pending (IDLE pushes it out). */
  onPending: (() => void) | null = null;
  private readonly pendingExpunge = new Set<number>();
  private pendingNew: number[] = [];
  private readonly pendingFlags = new Map<number, FlagUpdate>();
  private unsubscribe: (() => void) | null;
  /** Before `init`: changes are buffered and deduplicated against the listing. */
  private initialised = false;
  private readonly early: MailboxChange[] = [];

  constructor(feed: ChangeFeed, readonly mailboxId: number) {
    this.uids = [];
    this.highestModseq = 0;
    this.unsubscribe = feed.subscribe({ mailboxId }, (c) => this.onChange(c));
  }

  /** Sets the initial listing, ascending UIDs (taken after subscribing, so nothing is lost in between). */
  init(uids: number[], highestModseq: number): void {
    this.uids = uids;
    this.highestModseq = highestModseq;
    this.initialised = true;
    for (const c of this.early.splice(0)) this.onChange(c);
  }

  get exists(): number {
    return this.uids.length;
  }

  /** 1-based sequence number of a UID, or 0 when not in the view. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    return this.uids[lo] === uid ? lo + 1 : 0;
  }

  /** Expunged in the store but not yet announced (FETCH skips them). */
  isExpunged(uid: number): boolean {
    return this.pendingExpunge.has(uid);
  }

  get hasPending(): boolean {
    return this.pendingExpunge.size > 0 || this.pendingNew.length > 0 || this.pendingFlags.size > 0;
  }

  private onChange(c: MailboxChange): void {
    if (!this.initialised) {
      this.early.push(c);
      return;
    }
    const last = this.pendingNew.length ? this.pendingNew[this.pendingNew.length - 1]! : (this.uids[this.uids.length - 1] ?? 0);
    switch (c.kind) {
      case 'exists':
        for (const uid of c.uids) if (uid > last) this.pendingNew.push(uid);
        this.pendingNew.sort((a, b) => a - b);
        this.highestModseq = Math.max(this.highestModseq, c.modseq);
        break;
      case 'expunge':
        for (const uid of c.uids) {
          this.pendingFlags.delete(uid);
          const i = this.pendingNew.indexOf(uid);
          if (i >= 0) this.pendingNew.splice(i, 1);
          else if (this.seqOf(uid)) this.pendingExpunge.add(uid);
        }
        this.highestModseq = Math.max(this.highestModseq, c.modseq);
        break;
      case 'flags':
        for (const u of c.updates) {
          const prev = this.pendingFlags.get(u.uid);
          if (!prev || prev.modseq < u.modseq) this.pendingFlags.set(u.uid, u);
          this.highestModseq = Math.max(this.highestModseq, u.modseq);
        }
        break;
      default:
        return;
    }
    if (this.onPending && this.hasPending) this.onPending();
  }

  /** Forget flag updates this session already reported itself (STORE responses, FETCH setting \Seen). */
  dropFlagUpdates(reported: ReadonlyArray<{ uid: number; modseq: number }>): void {
    for (const r of reported) {
      const p = this.pendingFlags.get(r.uid);
      if (p && p.modseq <= r.modseq) this.pendingFlags.delete(r.uid);
    }
  }

  /**
   * Applies pending changes to the seq map and returns what to announce. With `allowExpunge` false, expunges
   * stay pending (RFC 3501 §7.4.1) and new messages are still announced.
   */
  flush(allowExpunge: boolean): FlushResult {
    const res: FlushResult = { expungedSeqs: [], expungedUids: [], exists: null, flags: [] };
    if (allowExpunge && this.pendingExpunge.size) {
      const seqs: number[] = [];
      for (const uid of this.pendingExpunge) {
        const s = this.seqOf(uid);
        if (s) seqs.push(s);
      }
      seqs.sort((a, b) => b - a);
      res.expungedSeqs = seqs;
      res.expungedUids = seqs.map((s) => this.uids[s - 1]!).reverse();
      const gone = this.pendingExpunge;
      this.uids = this.uids.filter((u) => !gone.has(u));
      this.pendingExpunge.clear();
    }
    if (this.pendingNew.length) {
      for (const uid of this.pendingNew) this.uids.push(uid);
      this.pendingNew = [];
      res.exists = this.uids.length;
    }
    if (this.pendingFlags.size) {
      for (const [uid, u] of this.pendingFlags) {
        if (this.pendingExpunge.has(uid)) continue;
        const seq = this.seqOf(uid);
        if (seq) res.flags.push({ seq, uid, flags: u.flags, modseq: u.modseq });
      }
      this.pendingFlags.clear();
      res.flags.sort((a, b) => a.seq - b.seq);
    }
    return res;
  }

  close(): void {
    this.onPending = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
