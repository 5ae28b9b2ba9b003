/**
 * Inbound message authentication with mailauth, for mail an MX receives from the Internet:
 *   - SPF (RFC 7208) of the MAIL FROM identity (of postmaster@HELO for the null sender, §2.4) and, separately,
 *     of the HELO identity (§2.3, RECOMMENDED), each with the 10-lookup and 2-void-lookup limits (§4.6.4);
 *   - DKIM (RFC 6376) of every signature, each reported (RFC 6376 §6.1: a message may carry several);
 *   - DMARC (RFC 7489) with identifier alignment of the passing SPF and DKIM domains (§3.1);
 *   - ARC (RFC 8617) chain validation.
 * `authenticateInbound` returns the Authentication-Results entries (RFC 8601) and the parsed results; it never
 * throws for DNS trouble: a DNS timeout or SERVFAIL is `temperror` (mailauth maps ETIMEOUT/SERVFAIL), and the
 * whole run is bounded by `timeoutMs`, after which every method reports `temperror`.
 *
 * `decideAuthPolicy` is the pure policy: DMARC p=reject → reject (550 5.7.1) or Junk or tag, p=quarantine →
 * Junk or tag (RFC 7489 §6.6.4, honouring pct), SPF fail → reject (550 5.7.23, RFC 7372 §3.2) or Junk or tag,
 * but an SPF fail is never acted on when DMARC passed (RFC 7489 §10.1: forwarded mail keeps its DKIM).
 *
 * Side effects: DNS queries through the injected resolver function (the configured resolver in production,
 * the fake DNS in tests).
 */

import { authenticate, spf, type AuthenticateOptions, type DKIMResult } from 'mailauth';
import { isIP } from 'node:net';
import type { ResolveFunction } from '../dns/resolver.js';
import { MailError } from '../lib/errors.js';
import { authResultsHeader, stripForgedAuthResults } from './auth-results.js';

/** An RFC 8601 result value (mailauth's 'temperr' spelling normalized). */
export type AuthResultValue = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy' | 'skipped';

export interface DkimSignatureResult {
  domain: string;
  selector: string;
  result: AuthResultValue;
  /** The d= domain is aligned with the From: domain (DMARC relaxed alignment, as mailauth reports it). */
  aligned: boolean;
}

export interface DmarcOutcome {
  result: AuthResultValue;
  /** The policy that applies (sp= for a subdomain), 'none' for none, unknown or missing. */
  policy: 'none' | 'quarantine' | 'reject';
  /** The From: (organizational) domain the record was found for. */
  domain: string;
  /** RFC 7489 §6.3 pct, 0..100. */
  pct: number;
}

export interface InboundAuthResult {
  /** Authentication-Results resinfo entries in report order (dkim..., spf mailfrom, spf helo, arc, dmarc). */
  entries: string[];
  spf: AuthResultValue;
  /** SPF of the HELO name; null when not checked (IP literal, no HELO, or the null sender, whose SPF is HELO's). */
  spfHelo: AuthResultValue | null;
  dkim: DkimSignatureResult[];
  dmarc: DmarcOutcome | null;
  arc: AuthResultValue | null;
  /** True when the time limit ran out and the results are all temperror. */
  timedOut: boolean;
}

export interface InboundAuthInput {
  message: Buffer;
  /** Client IP address (an IPv4-mapped IPv6 address is unmapped). */
  ip: string;
  /** EHLO/HELO argument ('' when none). */
  helo: string;
  /** MAIL FROM address, '' for the null sender. */
  sender: string;
}

export interface InboundAuthOptions {
  /** Our host name: the authserv-id and the mta of SPF comments. */
  authservId: string;
  resolve: ResolveFunction;
  /** Bound of the whole run (SPF, DKIM, ARC, DMARC). */
  timeoutMs: number;
  /** Smallest accepted RSA key (RFC 8301 §3.2: at least 1024 bits). */
  minBitLength?: number;
}

function normalizeResult(r: string | undefined): AuthResultValue {
  switch (r) {
    case 'pass':
    case 'fail':
    case 'softfail':
    case 'neutral':
    case 'none':
    case 'temperror':
    case 'permerror':
    case 'policy':
    case 'skipped':
      return r;
    case 'temperr':
      return 'temperror';
    default:
      return 'none';
  }
}

/** ::ffff:192.0.2.1 → 192.0.2.1 (SPF evaluates IPv4-mapped addresses as IPv4, RFC 7208 §5). */
export function unmapIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? (m[1] as string) : ip;
}

function oneLine(s: string): string {
  return s.replace(/\r?\n[ \t]*/g, ' ').trim();
}

function timedOutResult(sender: string, helo: string): InboundAuthResult {
  const who = sender === '' ? `postmaster@${helo}` : sender;
  return {
    entries: [
      'dkim=temperror (authentication timed out)',
      `spf=temperror (authentication timed out) smtp.mailfrom=${who.replace(/[\s;()]/g, '')}`,
      'dmarc=temperror (authentication timed out)',
    ],
    spf: 'temperror',
    spfHelo: null,
    dkim: [],
    dmarc: { result: 'temperror', policy: 'none', domain: '', pct: 100 },
    arc: null,
    timedOut: true,
  };
}

function dkimOf(r: DKIMResult): DkimSignatureResult {
  return {
    domain: r.signingDomain ?? '',
    selector: r.selector ?? '',
    result: normalizeResult(r.status?.result),
    aligned: Boolean(r.status?.aligned),
  };
}

async function run(input: InboundAuthInput, opts: InboundAuthOptions): Promise<InboundAuthResult> {
  const ip = unmapIp(input.ip);
  const helo = input.helo.trim();
  const authOpts: AuthenticateOptions = {
    ip,
    helo: helo === '' ? ip : helo,
    mta: opts.authservId,
    resolver: opts.resolve,
    disableBimi: true,
    minBitLength: opts.minBitLength ?? 1024,
    // RFC 7208 §2.4: the null sender is checked as postmaster@<HELO> (mailauth does this when sender is unset).
    ...(input.sender === '' ? {} : { sender: input.sender }),
  };
  const res = await authenticate(input.message, authOpts);

  const entries: string[] = [];
  const dkim = (res.dkim.results ?? []).map((r) => {
    entries.push(oneLine(r.info));
    return dkimOf(r);
  });

  let spfValue: AuthResultValue = 'none';
  if (res.spf !== false) {
    spfValue = normalizeResult(res.spf.status.result);
    entries.push(oneLine(res.spf.info));
  }

  // RFC 7208 §2.3: the HELO identity on its own; skipped for an address literal or when MAIL FROM was null
  // (then the MAIL FROM check above already was the HELO check).
  let spfHelo: AuthResultValue | null = null;
  if (helo !== '' && isIP(helo.replace(/^\[|\]$/g, '').replace(/^ipv6:/i, '')) === 0 && input.sender !== '') {
    const h = await spf({ sender: `postmaster@${helo}`, ip, helo, mta: opts.authservId, resolver: opts.resolve } as Parameters<typeof spf>[0]);
    spfHelo = normalizeResult(h.status.result);
    // RFC 8601 §2.7.2: smtp.helo reports the HELO identity.
    entries.push(`spf=${spfHelo} smtp.helo=${helo.replace(/[\s;()]/g, '')}`);
  }

  let arc: AuthResultValue | null = null;
  if (res.arc !== false) {
    arc = normalizeResult(res.arc.status.result);
    if (res.arc.info) entries.push(oneLine(res.arc.info));
  }

  let dmarc: DmarcOutcome | null = null;
  if (res.dmarc !== false) {
    const p = res.dmarc.policy;
    dmarc = {
      result: normalizeResult(res.dmarc.status.result),
      policy: p === 'reject' || p === 'quarantine' ? p : 'none',
      domain: res.dmarc.domain ?? '',
      pct: typeof res.dmarc.pct === 'number' && res.dmarc.pct >= 0 && res.dmarc.pct <= 100 ? res.dmarc.pct : 100,
    };
    if (res.dmarc.info) entries.push(oneLine(res.dmarc.info));
  }

  return { entries, spf: spfValue, spfHelo, dkim, dmarc, arc, timedOut: false };
}

/** Verifies SPF, DKIM, ARC and DMARC of one received message; resolves within about `timeoutMs`. */
export async function authenticateInbound(input: InboundAuthInput, opts: InboundAuthOptions): Promise<InboundAuthResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<InboundAuthResult>((resolve) => {
    timer = setTimeout(() => resolve(timedOutResult(input.sender, input.helo)), opts.timeoutMs);
  });
  const work = run(input, opts);
  // A late failure after the timeout must not surface as an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type PolicyAction = 'reject' | 'junk' | 'tag';

export interface AuthPolicy {
  /** What DMARC fail with p=reject does. */
  dmarcReject: PolicyAction;
  /** What DMARC fail with p=quarantine does. */
  dmarcQuarantine: Exclude<PolicyAction, 'reject'>;
  /** What SPF fail (`-all`) of the MAIL FROM identity does when DMARC did not pass. */
  spfFail: PolicyAction;
  /** Random number in [0,1) for DMARC pct sampling (tests inject it). */
  random?: () => number;
}

export type AuthDecision =
  | { kind: 'accept' }
  | { kind: 'junk'; reason: string }
  | { kind: 'reject'; error: MailError; reason: string };

function act(action: PolicyAction, reason: string, error: () => MailError): AuthDecision {
  if (action === 'reject') return { kind: 'reject', error: error(), reason };
  if (action === 'junk') return { kind: 'junk', reason };
  return { kind: 'accept' };
}

/** The pure policy decision for an authentication result. */
export function decideAuthPolicy(r: InboundAuthResult, policy: AuthPolicy): AuthDecision {
  const dmarc = r.dmarc;
  if (dmarc !== null && dmarc.result === 'fail' && dmarc.policy !== 'none') {
    let applied: 'reject' | 'quarantine' | 'none' = dmarc.policy;
    // RFC 7489 §6.6.4: a message outside the pct sample gets the next less strict policy.
    if (dmarc.pct < 100 && (policy.random ?? Math.random)() * 100 >= dmarc.pct) applied = applied === 'reject' ? 'quarantine' : 'none';
    const reason = `DMARC policy ${applied} of ${dmarc.domain}`;
    if (applied === 'reject') {
      const d = act(policy.dmarcReject, reason, () => new MailError(`Message rejected by the DMARC policy of ${dmarc.domain}`, { code: 550, enhanced: '5.7.1', temporary: false }));
      if (d.kind !== 'accept') return d;
    } else if (applied === 'quarantine') {
      const d = act(policy.dmarcQuarantine, reason, () => new MailError('unreachable'));
      if (d.kind !== 'accept') return d;
    }
  }
  if (r.spf === 'fail' && dmarc?.result !== 'pass') {
    // RFC 7372 §3.2: X.7.23 "SPF validation failed".
    return act(policy.spfFail, 'SPF fail', () => new MailError('SPF validation failed: the sender domain does not authorize this host', { code: 550, enhanced: '5.7.23', temporary: false }));
  }
  return { kind: 'accept' };
}

export interface InboundVerdictOptions extends InboundAuthOptions {
  policy: AuthPolicy;
}

export type InboundVerdict =
  | { kind: 'reject'; error: MailError; reason: string; result: InboundAuthResult }
  | {
      kind: 'accept';
      /** The message with forged Authentication-Results of ours removed. */
      data: Buffer;
      /** Our Authentication-Results field, CRLF-terminated, to prepend. */
      header: string;
      /** Deliver to the Junk mailbox (DMARC quarantine, or a policy set to junk). */
      junk: boolean;
      reason: string | null;
      result: InboundAuthResult;
    };

/**
 * The data-phase entry point: authenticates the message as received, decides by policy, and returns the message
 * without Authentication-Results fields that claim our authserv-id (RFC 8601 §5) plus our own field.
 */
export async function verifyInbound(message: Buffer, client: Omit<InboundAuthInput, 'message'>, opts: InboundVerdictOptions): Promise<InboundVerdict> {
  // Verified before the forged fields go: a DKIM signature may cover them.
  const result = await authenticateInbound({ ...client, message }, opts);
  const decision = decideAuthPolicy(result, opts.policy);
  if (decision.kind === 'reject') return { kind: 'reject', error: decision.error, reason: decision.reason, result };
  const { data } = stripForgedAuthResults(message, opts.authservId);
  return {
    kind: 'accept',
    data,
    header: authResultsHeader(opts.authservId, result.entries),
    junk: decision.kind === 'junk',
    reason: decision.kind === 'junk' ? decision.reason : null,
    result,
  };
}
