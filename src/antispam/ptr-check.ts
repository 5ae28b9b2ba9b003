/**
 * The PTR check (MISSION.md §1's anti-spam rule), configured per SMTP listener:
 *   - `off`: nothing is looked up;
 *   - `require`: the client IP must have a PTR name that resolves back to it (FCrDNS, RFC 8601 §3 "iprev");
 *   - `match`: as `require`, and the registered domain of that name must equal the registered domain of the
 *     MAIL FROM domain (the strict variant). The null sender has no domain to compare: FCrDNS alone decides.
 * A failure is rejected (`550 5.7.25`, RFC 7372 §3.3 "reverse DNS validation failed") or tagged with an
 * `Authentication-Results` iprev entry (RFC 8601 §2.7.3), per `ptr_action`. A DNS timeout or SERVFAIL is never
 * a pass: `451 4.7.25` when rejecting, `iprev=temperror` when tagging.
 *
 * `decidePtr` and `ptrVerdict` are pure; `PtrCheck` adds the lookup seam (`lookup`, by default
 * dns/iprev.ts over the configured resolver), started at connect and reused for every transaction of the
 * session (cached per client object). Side effects: DNS queries through the seam; `mailFrom` records the
 * confirmed name in `client.ptrName` for the Received header.
 */

import type { IprevResult } from '../dns/iprev.js';
import { registeredDomain } from '../dns/registered-domain.js';
import { MailError } from '../lib/errors.js';

/**
 * The shapes of pipeline/types.ts `Check`, `ClientInfo` and `Verdict` that this check uses, declared here
 * because antispam sits below pipeline (DESIGN.md import rules); `PtrCheck` is structurally a `Check`.
 */
export interface PtrClient {
  ip: string;
  ptrName?: string | null;
}
export type PtrVerdict = { kind: 'accept' } | { kind: 'reject'; error: MailError } | { kind: 'tag'; header: string };

export type PtrMode = 'off' | 'require' | 'match';
export type PtrAction = 'reject' | 'tag';

export type PtrDecision =
  | { kind: 'pass'; name: string }
  /** `iprev` is the RFC 8601 result to report: fail, permerror (no PTR at all) or temperror. */
  | { kind: 'fail'; iprev: 'fail' | 'permerror' | 'temperror'; reason: string };

/** The pure decision from an iprev lookup result and the MAIL FROM domain ('' or null for the null sender). */
export function decidePtr(mode: Exclude<PtrMode, 'off'>, result: IprevResult, senderDomain: string | null): PtrDecision {
  switch (result.status) {
    case 'temperror':
      return { kind: 'fail', iprev: 'temperror', reason: 'reverse DNS lookup failed temporarily' };
    case 'none':
      // RFC 8601 §2.7.3: no PTR record at all is reported as permerror.
      return { kind: 'fail', iprev: 'permerror', reason: 'no PTR record' };
    case 'fail':
      return { kind: 'fail', iprev: 'fail', reason: 'PTR name does not resolve back to the client address' };
    case 'pass':
      break;
  }
  const name = result.confirmed ?? '';
  if (mode === 'match' && senderDomain) {
    const ptrOrg = registeredDomain(name);
    const senderOrg = registeredDomain(senderDomain);
    if (ptrOrg === null || senderOrg === null || ptrOrg !== senderOrg) {
      return { kind: 'fail', iprev: 'fail', reason: `PTR name ${name} does not match the sender domain` };
    }
  }
  return { kind: 'pass', name };
}

/** RFC 8601 Authentication-Results header line (with CRLF) for an iprev result. */
export function iprevAuthResults(authservId: string, ip: string, result: string, reason: string): string {
  const comment = reason.replace(/[()\\\r\n]/g, '');
  return `Authentication-Results: ${authservId};\r\n\tiprev=${result} (${comment}) policy.iprev=${ip}\r\n`;
}

/** The verdict of a decision under the configured action (pure). */
export function ptrVerdict(decision: PtrDecision, action: PtrAction, authservId: string, ip: string): PtrVerdict {
  if (decision.kind === 'pass') {
    return action === 'tag'
      ? { kind: 'tag', header: iprevAuthResults(authservId, ip, 'pass', `PTR ${decision.name}`) }
      : { kind: 'accept' };
  }
  if (action === 'tag') return { kind: 'tag', header: iprevAuthResults(authservId, ip, decision.iprev, decision.reason) };
  // RFC 7372 §3.3: X.7.25 "Reverse DNS validation failed".
  if (decision.iprev === 'temperror') {
    return { kind: 'reject', error: new MailError('Reverse DNS lookup failed, try again later', { code: 451, enhanced: '4.7.25', temporary: true }) };
  }
  return {
    kind: 'reject',
    error: new MailError(`Reverse DNS validation failed: ${decision.reason}`, { code: 550, enhanced: '5.7.25', temporary: false }),
  };
}

export interface PtrCheckOptions {
  mode: Exclude<PtrMode, 'off'>;
  action: PtrAction;
  /** Our host name, the authserv-id of the Authentication-Results header. */
  authservId: string;
  /** FCrDNS lookup of an IP (dns/iprev.ts forwardConfirmedReverse bound to the resolver). */
  lookup: (ip: string) => Promise<IprevResult>;
}

/** The sender's domain for `match` (null for the null sender or a malformed address). */
function senderDomainOf(sender: string): string | null {
  const at = sender.lastIndexOf('@');
  return at < 0 ? null : sender.slice(at + 1);
}

export class PtrCheck {
  readonly name = 'ptr';
  private readonly lookups = new WeakMap<PtrClient, Promise<IprevResult>>();

  constructor(private readonly opts: PtrCheckOptions) {}

  private lookup(client: PtrClient): Promise<IprevResult> {
    let p = this.lookups.get(client);
    if (p === undefined) {
      p = this.opts.lookup(client.ip);
      // A rejected lookup is awaited later; keep it from being reported as unhandled meanwhile.
      p.catch(() => undefined);
      this.lookups.set(client, p);
    }
    return p;
  }

  /** Starts the lookup early so that it overlaps EHLO; the decision waits for MAIL FROM (the sender domain). */
  async connect(client: PtrClient): Promise<PtrVerdict> {
    if (client.ip !== '') void this.lookup(client);
    return { kind: 'accept' };
  }

  async mailFrom(client: PtrClient, sender: string): Promise<PtrVerdict> {
    if (client.ip === '') return { kind: 'accept' }; // a unix socket has no address to check
    const result = await this.lookup(client);
    client.ptrName = result.confirmed;
    const decision = decidePtr(this.opts.mode, result, senderDomainOf(sender));
    return ptrVerdict(decision, this.opts.action, this.opts.authservId, client.ip);
  }
}
