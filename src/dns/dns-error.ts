/**
 * DNS failures as one typed error (`DnsError`) with the node:dns code kept.
 *
 * Invariants: `code` is the node:dns code ('ENOTFOUND' for NXDOMAIN, 'ENODATA' for a name without records of the
 * asked type, ...), so libraries that test `err.code` (mailauth) keep working. Everything except "the name does not
 * exist" and "no such records" is temporary: RFC 7208 §5 and RFC 8601 §2.7.3 treat SERVFAIL, timeouts and other
 * errors as temperror, so a caller must never turn them into a pass or a permanent failure.
 */

/** The node:dns error codes a lookup can end with; anything else becomes 'EOTHER' (with `cause`). */
export type DnsErrorCode =
  | 'ENOTFOUND' // NXDOMAIN (RCODE 3)
  | 'ENODATA' // NOERROR without answers of the asked type
  | 'ETIMEOUT'
  | 'ESERVFAIL' // RCODE 2
  | 'ECONNREFUSED'
  | 'EREFUSED' // RCODE 5
  | 'EFORMERR'
  | 'ENOTIMP'
  | 'EBADRESP'
  | 'EBADNAME' // the name (or IP for reverse) is not valid: permanent, nothing to look up
  | 'ECANCELLED'
  | 'EOF'
  | 'EOTHER';

const KNOWN_CODES: ReadonlySet<string> = new Set<DnsErrorCode>([
  'ENOTFOUND', 'ENODATA', 'ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EREFUSED', 'EFORMERR', 'ENOTIMP',
  'EBADRESP', 'EBADNAME', 'ECANCELLED', 'EOF', 'EOTHER',
]);

/** Codes that are final answers about the name; every other code is a temporary failure. */
const PERMANENT_CODES: ReadonlySet<string> = new Set<DnsErrorCode>(['ENOTFOUND', 'ENODATA', 'EBADNAME']);

export class DnsError extends Error {
  readonly code: DnsErrorCode;
  /** The name (or IP, for reverse lookups) that was asked for. */
  readonly hostname: string;
  readonly rrtype: string;
  /** True unless the answer is final (NXDOMAIN, no data, invalid name). */
  readonly temporary: boolean;

  constructor(code: DnsErrorCode, hostname: string, rrtype: string, options?: { cause?: unknown }) {
    super(`DNS ${rrtype} lookup for ${hostname} failed: ${code}`, options);
    this.name = 'DnsError';
    this.code = code;
    this.hostname = hostname;
    this.rrtype = rrtype;
    this.temporary = !PERMANENT_CODES.has(code);
  }
}

/** Wraps whatever a lookup threw into a `DnsError`, keeping the node:dns code when it is one we know. */
export function toDnsError(e: unknown, hostname: string, rrtype: string): DnsError {
  if (e instanceof DnsError) return e;
  const raw = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  let code: DnsErrorCode = 'EOTHER';
  if (typeof raw === 'string') {
    if (KNOWN_CODES.has(raw)) code = raw as DnsErrorCode;
    // node:dns reverse() of a string that is not an IP, and names c-ares refuses to send.
    else if (raw === 'EINVAL' || raw === 'ERR_INVALID_ARG_VALUE' || raw === 'ENONAME') code = 'EBADNAME';
    else if (raw === 'ECANCELED') code = 'ECANCELLED';
  }
  return new DnsError(code, hostname, rrtype, { cause: e });
}

/** True for a DNS failure that may go away on retry (timeout, SERVFAIL, refused, bad response, ...). */
export function isTemporaryDnsError(e: unknown): boolean {
  if (e instanceof DnsError) return e.temporary;
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  return typeof code === 'string' && KNOWN_CODES.has(code) && !PERMANENT_CODES.has(code);
}

/** True when the name does not exist or has no records of the asked type (a final "nothing there"). */
export function isNoRecordsDnsError(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}
