/**
 * Server side of the SASL password mechanisms as pure state machines: no I/O, no directory lookups. IMAP
 * AUTHENTICATE, POP3 AUTH and SMTP AUTH drive them line by line and verify the resulting credentials
 * themselves.
 *
 *   const sasl = createSaslServer('PLAIN', initialResponse);   // initialResponse: base64, or '=' for empty
 *   let r = sasl.start();                                      // challenge, done, or error
 *   while (r.kind === 'challenge') r = sasl.step(await readLine());
 *
 * Invariants:
 * - Every value crossing the API is base64 (challenges out, responses in); `'='` is the empty initial
 *   response (RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2), and a response of `'*'` (or `null`) cancels the
 *   exchange (RFC 4954 §4, RFC 5034 §4, RFC 9051 §6.2.2): the result is an error with `cancelled: true`, which
 *   SMTP answers with 501, IMAP with BAD and POP3 with -ERR.
 * - Input is bounded: a response longer than MAX_RESPONSE_BASE64 characters, malformed base64, invalid UTF-8
 *   or a NUL inside a field ends the exchange with an error. After 'done' or 'error' every step is an error.
 * - PLAIN (RFC 4616): the authorization identity must be empty or equal to the login (we do not support
 *   acting on behalf of another user). No SASLprep is applied: passwords are compared as given.
 */

export type SaslMechanism = 'PLAIN' | 'LOGIN';

/** Mechanisms offered, in order of preference (announce these in CAPABILITY / CAPA / EHLO). */
export const supportedMechanisms: readonly SaslMechanism[] = ['PLAIN', 'LOGIN'];

export type SaslResult =
  | { kind: 'challenge'; data: string }
  | { kind: 'done'; authzid: string; login: string; password: string }
  | { kind: 'error'; message: string; cancelled?: boolean };

export interface SaslServer {
  readonly mechanism: SaslMechanism;
  /** The first server message: a challenge, or done/error when the initial response already settles it. */
  start(): SaslResult;
  /** Feeds one client response (base64; '*' or null cancels). */
  step(clientBase64: string | null): SaslResult;
}

/** Longest accepted client response, in base64 characters (about 3 KB decoded). */
export const MAX_RESPONSE_BASE64 = 4096;
/** RFC 4616 §2 asks servers to accept at least 255 octets per field; we allow this many. */
const MAX_FIELD_OCTETS = 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a mechanism name case-insensitively (RFC 4422 §3.1 names are upper-case; clients vary). */
export function parseSaslMechanism(name: string): SaslMechanism | null {
  const upper = name.toUpperCase();
  return (supportedMechanisms as readonly string[]).includes(upper) ? (upper as SaslMechanism) : null;
}

type Decoded = { ok: true; bytes: Buffer } | { ok: false; result: SaslResult };

function decodeResponse(data: string | null): Decoded {
  if (data === null || data === '*') {
    return { ok: false, result: { kind: 'error', message: 'Authentication cancelled', cancelled: true } };
  }
  if (data.length > MAX_RESPONSE_BASE64) return { ok: false, result: { kind: 'error', message: 'Authentication response too long' } };
  // RFC 4954 §4: an empty response is sent as "=" in the initial response; an empty line is also empty.
  if (data === '=' || data === '') return { ok: true, bytes: Buffer.alloc(0) };
  if (!BASE64.test(data)) return { ok: false, result: { kind: 'error', message: 'Invalid base64 data' } };
  return { ok: true, bytes: Buffer.from(data, 'base64') };
}

function decodeField(bytes: Buffer): string | null {
  if (bytes.length > MAX_FIELD_OCTETS || bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

const enc = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

abstract class BaseServer implements SaslServer {
  abstract readonly mechanism: SaslMechanism;
  protected finished = false;

  constructor(protected readonly initialResponse: string | undefined) {}

  abstract start(): SaslResult;
  protected abstract consume(bytes: Buffer): SaslResult;

  step(clientBase64: string | null): SaslResult {
    if (this.finished) return { kind: 'error', message: 'Authentication exchange already finished' };
    const decoded = decodeResponse(clientBase64);
    return this.settle(decoded.ok ? this.consume(decoded.bytes) : decoded.result);
  }

  protected settle(r: SaslResult): SaslResult {
    if (r.kind !== 'challenge') this.finished = true;
    return r;
  }
}

/** RFC 4616: message = [authzid] NUL authcid NUL passwd, in one client response. */
class PlainServer extends BaseServer {
  readonly mechanism = 'PLAIN' as const;

  start(): SaslResult {
    if (this.initialResponse === undefined) return { kind: 'challenge', data: '' }; // RFC 4616 §2: empty challenge
    return this.step(this.initialResponse);
  }

  protected consume(bytes: Buffer): SaslResult {
    const first = bytes.indexOf(0);
    const second = first < 0 ? -1 : bytes.indexOf(0, first + 1);
    if (first < 0 || second < 0) return { kind: 'error', message: 'Malformed PLAIN response' };
    const authzid = decodeField(bytes.subarray(0, first));
    const login = decodeField(bytes.subarray(first + 1, second));
    const password = decodeField(bytes.subarray(second + 1));
    // RFC 4616 §2: authcid and passwd are 1*SAFE (non-empty, no NUL); authzid may be absent.
    if (authzid === null || login === null || password === null || login === '' || password === '') {
      return { kind: 'error', message: 'Malformed PLAIN response' };
    }
    // RFC 4616 §2: the server decides whether authcid may act as authzid; we allow only itself.
    if (authzid !== '' && authzid !== login) return { kind: 'error', message: 'Authorization identity not permitted' };
    return { kind: 'done', authzid, login, password };
  }
}

/** The LOGIN mechanism (draft-murchison-sasl-login): "Username:" then "Password:" challenges. */
class LoginServer extends BaseServer {
  readonly mechanism = 'LOGIN' as const;
  private login: string | null = null;

  start(): SaslResult {
    // Some clients send the user name as the initial response (RFC 4954 §4 allows one for any mechanism).
    if (this.initialResponse === undefined) return { kind: 'challenge', data: enc('Username:') };
    return this.step(this.initialResponse);
  }

  protected consume(bytes: Buffer): SaslResult {
    const value = decodeField(bytes);
    if (value === null || value === '') return { kind: 'error', message: 'Malformed LOGIN response' };
    if (this.login === null) {
      this.login = value;
      return { kind: 'challenge', data: enc('Password:') };
    }
    return { kind: 'done', authzid: '', login: this.login, password: value };
  }
}

export function createSaslServer(mechanism: SaslMechanism, initialResponse?: string): SaslServer {
  switch (mechanism) {
    case 'PLAIN':
      return new PlainServer(initialResponse);
    case 'LOGIN':
      return new LoginServer(initialResponse);
  }
}
