/**
 * RFC 1939 §8: "the POP3 server acquires an exclusive-access lock on the maildrop". An in-process set of
 * account ids; one instance per store (all POP3 listeners of a server share it). IMAP sessions are not
 * locked out: POP3 sees its snapshot and IMAP sees POP3's deletions through the change feed.
 *
 * Invariant: an account is held by at most one POP3 session; the release function is idempotent.
 * Not shared between processes (a second pochta node on the same store would need a store-level lock).
 */

export class MaildropLocks {
  private readonly held = new Set<number>();

  /** The release function, or null when another session holds the maildrop. */
  tryAcquire(accountId: number): (() => void) | null {
    if (this.held.has(accountId)) return null;
    this.held.add(accountId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(accountId);
    };
  }

  isHeld(accountId: number): boolean {
    return this.held.has(accountId);
  }
}
