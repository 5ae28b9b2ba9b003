/**
 * SRS in the mail flow (issue 7 item 6; the part Postfix delegates to postsrsd through canonical maps):
 *
 * - `SrsDirectory` wraps the Directory. The SRS domain counts as local; an address at it whose local part
 *   is SRS0/SRS1 resolves, when its hash and stamp verify (antispam/srs.ts), to the original sender as a
 *   remote target (the bounce is relayed there whatever the relay rules: we made that address), and to
 *   `unknown` (550 5.1.1) when they do not; any other address at the SRS domain is the wrapped directory's
 *   if the domain is one of ours, else `unknown` (never a relay back to ourselves).
 * - `SrsSenderRewriter.forwardSender` gives the reverse-path for copies an alias forwards to remote
 *   addresses: the SRS form, unless SRS is off, the sender is null (`<>`), or it is in one of our domains or
 *   the SRS domain (local senders are never rewritten).
 *
 * The current `Srs` (or null when SRS is off) comes from a getter, so a SIGHUP takes effect at once.
 * Side effects: directory lookups only.
 */

import { isSrsLocalPart, type Srs } from '../antispam/srs.js';
import type { AuthContext, Directory, RecipientResolution, ResolveOptions } from '../directory/directory.js';
import type { Account } from '../store/types.js';

export type SrsProvider = () => Srs | null;

function split(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  return at <= 0 ? null : { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

export class SrsDirectory implements Directory {
  constructor(
    private readonly inner: Directory,
    private readonly srs: SrsProvider,
  ) {}

  authenticate(login: string, password: string, ctx?: AuthContext): Promise<Account | null> {
    return this.inner.authenticate(login, password, ctx);
  }

  async resolveRecipient(address: string, opts?: ResolveOptions): Promise<RecipientResolution> {
    const srs = this.srs();
    const a = split(address);
    if (srs === null || a === null || a.domain !== srs.domain) return this.inner.resolveRecipient(address, opts);
    if (isSrsLocalPart(a.local)) {
      const rev = srs.reverse(address);
      if (rev.kind === 'ok') return { kind: 'local', targets: [], remote: [rev.address] };
      if (rev.kind === 'invalid') return { kind: 'unknown' };
    }
    if (await this.inner.isLocalDomain(a.domain)) return this.inner.resolveRecipient(address, opts);
    return { kind: 'unknown' };
  }

  addressesOf(account: Account): Promise<string[]> {
    return this.inner.addressesOf(account);
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    const srs = this.srs();
    if (srs !== null && domain.toLowerCase() === srs.domain) return true;
    return this.inner.isLocalDomain(domain);
  }

  groupsOf(account: Account): Promise<string[]> {
    return this.inner.groupsOf?.(account) ?? Promise.resolve([]);
  }
}

export interface SenderRewriter {
  /** The reverse-path for copies forwarded to remote addresses (unchanged when no rewrite applies). */
  forwardSender(sender: string): Promise<string>;
}

export class SrsSenderRewriter implements SenderRewriter {
  constructor(
    private readonly srs: SrsProvider,
    private readonly isLocalDomain: (domain: string) => Promise<boolean>,
  ) {}

  async forwardSender(sender: string): Promise<string> {
    const srs = this.srs();
    const a = split(sender);
    if (srs === null || a === null || a.domain === srs.domain) return sender;
    if (await this.isLocalDomain(a.domain)) return sender;
    return srs.forward(sender);
  }
}
