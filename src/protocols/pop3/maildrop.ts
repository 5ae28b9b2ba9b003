/**
 * A POP3 session's view of the INBOX (RFC 1939 §4-§6): the messages present at login, numbered 1..N in UID
 * order, with their deletion marks. Messages that arrive later are not seen until the next session; marks
 * become deletions only through `deletedUids()` at QUIT (the session's UPDATE state).
 *
 * Sizes are the octets the client will receive (message-encoding.ts): from the CRLF size stored at delivery
 * (Store.listMaildrop, one narrow row per message); for bodies stored before it existed, computed on first need
 * by reading the body, cached per session, and per blob in a process-wide LRU (blobs are content-addressed, so a
 * blob id's served size never changes).
 *
 * Side effects: store reads only.
 */
import type { Store } from '../../store/types.js';
import { ServedSizeCounter, servedSize } from './message-encoding.js';
import { uidlOf } from './parser.js';

export interface MaildropMessage {
  uid: number;
  blobId: string;
  /** Stored body size (before CRLF normalisation). */
  blobSize: number;
  /** Per-recipient header lines, CRLF-terminated. */
  prefix: Buffer;
  deleted: boolean;
  /**
   * The body is in canonical form already (every line ends CRLF, as counted at delivery: its CRLF size equals
   * its length), so RETR only adds stuffing dots (message-encoding.ts encodeCanonicalReply).
   */
  bodyCanonical: boolean;
  /** Served size of prefix + body once known. */
  served: number | null;
}

export type Lookup = { kind: 'ok'; msg: MaildropMessage } | { kind: 'absent' } | { kind: 'deleted' };

const EMPTY = Buffer.alloc(0);
const SIZE_CACHE_MAX = 100_000;
/** blobId → served size of the blob alone. Shared by every session of the process; bounded (LRU). */
const blobSizeCache = new Map<string, number>();

function rememberSize(blobId: string, size: number): void {
  blobSizeCache.delete(blobId);
  blobSizeCache.set(blobId, size);
  if (blobSizeCache.size > SIZE_CACHE_MAX) {
    const oldest = blobSizeCache.keys().next().value;
    if (oldest !== undefined) blobSizeCache.delete(oldest);
  }
}

export class Maildrop {
  private constructor(
    private readonly store: Store,
    readonly mailboxId: number,
    readonly uidValidity: number,
    private readonly messages: MaildropMessage[],
  ) {}

  /** Snapshot of the account's INBOX; null when the account has no INBOX. */
  static async open(store: Store, accountId: number): Promise<Maildrop | null> {
    const mailbox = await store.getMailbox(accountId, 'INBOX');
    if (mailbox === null) return null;
    // One narrow query (no flags, no parsed structure): UID, blob, prefix and the CRLF size from delivery.
    const entries = await store.listMaildrop(mailbox.id);
    const messages = new Array<MaildropMessage>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const m = entries[i]!;
      let prefix = m.prefix === '' ? EMPTY : Buffer.from(m.prefix, 'utf8');
      // A prefix always ends a line, so prefix and body can be sized and encoded apart.
      if (prefix.length > 0 && prefix[prefix.length - 1] !== 0x0a) prefix = Buffer.concat([prefix, Buffer.from('\r\n')]);
      // The canonical size computed at delivery saves reading every body for the first STAT.
      const body = m.crlfSize;
      const served = body === null ? null : (prefix.length === 0 ? 0 : servedSize(prefix)) + body;
      messages[i] = { uid: m.uid, blobId: m.blobId, blobSize: m.blobSize, prefix, deleted: false, bodyCanonical: body === m.blobSize, served };
    }
    return new Maildrop(store, mailbox.id, mailbox.uidValidity, messages);
  }

  /** Number of messages in the snapshot, deleted ones included (the highest valid message number). */
  get total(): number {
    return this.messages.length;
  }

  lookup(n: number): Lookup {
    const msg = this.messages[n - 1];
    if (msg === undefined) return { kind: 'absent' };
    return msg.deleted ? { kind: 'deleted' } : { kind: 'ok', msg };
  }

  /** Message numbers not marked deleted, ascending. */
  liveNumbers(): number[] {
    const out: number[] = [];
    this.messages.forEach((m, i) => {
      if (!m.deleted) out.push(i + 1);
    });
    return out;
  }

  uidl(msg: MaildropMessage): string {
    return uidlOf(this.uidValidity, msg.uid);
  }

  async sizeOf(msg: MaildropMessage): Promise<number> {
    if (msg.served !== null) return msg.served;
    let body = blobSizeCache.get(msg.blobId);
    if (body === undefined) {
      const counter = new ServedSizeCounter();
      for await (const chunk of this.store.blobs.createReadStream(msg.blobId)) {
        counter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
      }
      body = counter.end();
      rememberSize(msg.blobId, body);
    } else {
      rememberSize(msg.blobId, body);
    }
    msg.served = servedSize(msg.prefix) + body;
    return msg.served;
  }

  /** RFC 1939 §5 STAT: count and total size of the messages not marked deleted. */
  async stat(): Promise<{ count: number; size: number }> {
    let count = 0;
    let size = 0;
    for (const m of this.messages) {
      if (m.deleted) continue;
      count++;
      size += m.served ?? (await this.sizeOf(m));
    }
    return { count, size };
  }

  markDeleted(msg: MaildropMessage): void {
    msg.deleted = true;
  }

  /** RFC 1939 §5 RSET: unmark every message. */
  reset(): void {
    for (const m of this.messages) m.deleted = false;
  }

  deletedUids(): number[] {
    return this.messages.filter((m) => m.deleted).map((m) => m.uid);
  }
}
