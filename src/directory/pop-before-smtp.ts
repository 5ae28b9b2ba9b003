/**
 * POP-before-SMTP (issue 6 item 3): a successful POP3 or IMAP login lets the client's IP relay through SMTP
 * for a configured number of minutes. An in-process registry: `grant` on login, `isAllowed` from the SMTP
 * relay check, `list` for the CLI.
 *
 * Invariants: a grant ends at `grantedAt + minutes` (a new login from the same IP extends it, never
 * shortens it); expired grants are never reported as allowed and are dropped lazily; at most `maxEntries`
 * IPs are kept (the grant ending first is dropped). IPv4-mapped IPv6 addresses are stored as IPv4.
 * Not shared between processes (the server mirrors it to a file for the CLI through `onChange`).
 * Side effects: memory only; time from `now` (tests inject a clock).
 */

export interface PopBeforeSmtpGrant {
  ip: string;
  /** Account that logged in last from this IP. */
  login: string;
  until: Date;
}

export interface PopBeforeSmtpOptions {
  now?: () => number;
  /** Default 10,000. */
  maxEntries?: number;
  /** Called after every grant and revoke (the server persists the list for the CLI: pop-before-smtp-file.ts). */
  onChange?: () => void;
}

function normalizeIp(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith('::ffff:') && /^\d+\.\d+\.\d+\.\d+$/.test(lower.slice(7)) ? lower.slice(7) : lower;
}

export class PopBeforeSmtp {
  private readonly now: () => number;
  private readonly maxEntries: number;
  private readonly onChange: (() => void) | undefined;
  private readonly grants = new Map<string, { login: string; until: number }>();

  constructor(opts: PopBeforeSmtpOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.onChange = opts.onChange;
  }

  /** Allows `ip` to relay for `minutes` from now (config: the POP-before-SMTP window). */
  grant(ip: string, minutes: number, login = ''): void {
    if (ip === '' || !(minutes > 0)) return;
    const key = normalizeIp(ip);
    const until = this.now() + minutes * 60_000;
    const prev = this.grants.get(key);
    this.grants.set(key, { login, until: Math.max(until, prev?.until ?? 0) });
    if (this.grants.size > this.maxEntries) this.evict();
    this.onChange?.();
  }

  isAllowed(ip: string): boolean {
    const key = normalizeIp(ip);
    const g = this.grants.get(key);
    if (g === undefined) return false;
    if (g.until <= this.now()) {
      this.grants.delete(key);
      return false;
    }
    return true;
  }

  /** Grants still running, ending soonest first. */
  list(): PopBeforeSmtpGrant[] {
    const t = this.now();
    const out: PopBeforeSmtpGrant[] = [];
    for (const [ip, g] of this.grants) {
      if (g.until <= t) this.grants.delete(ip);
      else out.push({ ip, login: g.login, until: new Date(g.until) });
    }
    return out.sort((a, b) => a.until.getTime() - b.until.getTime());
  }

  /** Ends a grant early (CLI). */
  revoke(ip: string): boolean {
    const had = this.grants.delete(normalizeIp(ip));
    if (had) this.onChange?.();
    return had;
  }

  private evict(): void {
    const t = this.now();
    for (const [ip, g] of this.grants) if (g.until <= t) this.grants.delete(ip);
    while (this.grants.size > this.maxEntries) {
      let first: string | undefined;
      let firstUntil = Infinity;
      for (const [ip, g] of this.grants) {
        if (g.until < firstUntil) {
          firstUntil = g.until;
          first = ip;
        }
      }
      if (first === undefined) break;
      this.grants.delete(first);
    }
  }
}
