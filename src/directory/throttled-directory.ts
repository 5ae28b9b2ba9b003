/**
 * A Directory whose `authenticate` goes through the server's failed-login throttle (login-throttle.ts), for
 * protocols whose command code calls the directory directly (IMAP's LOGIN and AUTHENTICATE): before the
 * password is checked the attempt waits the throttle's delay, and a banned client IP gets null (a failed
 * login) without any check; the outcome is then recorded. Every other method is the wrapped directory's.
 *
 * Invariants: the client IP comes from `ctx.remoteIp` (an attempt without one is throttled under ""), so one
 * instance serves every connection. Side effects: timers for the delay; throttle bookkeeping.
 */
import type { Account } from '../store/types.js';
import type { AuthContext, Directory, RecipientResolution, ResolveOptions } from './directory.js';
import type { LoginThrottle } from './login-throttle.js';

export class ThrottledDirectory implements Directory {
  constructor(
    private readonly inner: Directory,
    private readonly throttle: LoginThrottle,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms).unref()),
  ) {}

  async authenticate(login: string, password: string, ctx?: AuthContext): Promise<Account | null> {
    const ip = ctx?.remoteIp ?? '';
    const verdict = this.throttle.check(ip, login);
    if (verdict.banned) return null;
    if (verdict.delayMs > 0) await this.sleep(verdict.delayMs);
    const account = await this.inner.authenticate(login, password, ctx);
    if (account === null) this.throttle.recordFailure(ip, login);
    else this.throttle.recordSuccess(ip, login);
    return account;
  }

  resolveRecipient(address: string, opts?: ResolveOptions): Promise<RecipientResolution> {
    return this.inner.resolveRecipient(address, opts);
  }

  addressesOf(account: Account): Promise<string[]> {
    return this.inner.addressesOf(account);
  }

  isLocalDomain(domain: string): Promise<boolean> {
    return this.inner.isLocalDomain(domain);
  }

  groupsOf(account: Account): Promise<string[]> {
    return this.inner.groupsOf?.(account) ?? Promise.resolve([]);
  }
}
