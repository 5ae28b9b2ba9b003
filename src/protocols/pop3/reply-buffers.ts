/**
 * Reusable output buffers for one POP3 session's RETR replies. A reply of ~15 KB allocated per message is
 * external memory V8 must track and free (a large share of a warm session's CPU went to garbage collection);
 * a session has at most two such replies alive (the one being written, the read-ahead), so a few buffers reused
 * from a free list do the job without allocating per message.
 *
 * Invariant: a buffer is given back only once the socket is done with it (the write's callback), so the bytes
 * of a reply never change while queued. Buffers larger than MAX_KEEP are not kept. Pure memory, no I/O.
 */

/** Buffers kept on the free list; more than the two in flight is never needed. */
const MAX_FREE = 3;
/** Larger buffers are left to the garbage collector (a session keeps at most MAX_FREE × this). */
const MAX_KEEP = 512 * 1024;
/** Smallest buffer allocated, so that messages of slightly different sizes share buffers. */
const MIN_SIZE = 32 * 1024;

export class ReplyBuffers {
  private readonly free: ArrayBuffer[] = [];
  /** Memory handed out by take(): give() ignores anything else (e.g. a view of Node's shared pool). */
  private readonly mine = new WeakSet<ArrayBuffer>();

  /** A buffer of exactly `size` octets (contents undefined), on memory from the free list when it is large enough. */
  readonly take = (size: number): Buffer => {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const ab = this.free[i]!;
      if (ab.byteLength >= size) {
        this.free.splice(i, 1);
        return Buffer.from(ab, 0, size);
      }
    }
    // Rounded up to a power of two, so a few buffers serve a mailbox of mixed sizes.
    let n = MIN_SIZE;
    while (n < size) n *= 2;
    const ab = new ArrayBuffer(n);
    this.mine.add(ab);
    return Buffer.from(ab, 0, size);
  };

  /** Takes back a buffer from take() once nothing reads its bytes any more; other buffers are ignored. */
  give(b: Buffer): void {
    const ab = b.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.mine.has(ab) || ab.byteLength > MAX_KEEP || this.free.includes(ab)) return;
    if (this.free.length >= MAX_FREE) this.free.shift();
    this.free.push(ab);
  }
}
