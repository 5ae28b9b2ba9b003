/**
 * Content spam filters, asked once per inbound message at the end of DATA:
 *   - `SpamdClient`: SpamAssassin's spamd over TCP, the spamc protocol (SPAMC/1.5 `SYMBOLS`: the "Spam:" header
 *     gives the verdict, score and threshold; the body lists the rule names);
 *   - `RspamdClient`: rspamd's normal worker over HTTP (`POST /checkv2`, envelope in the IP/Helo/From/Rcpt
 *     headers; the JSON answer has score, required_score, action and symbols).
 * Both resolve to a `SpamVerdict` or reject (connection refused, timeout, protocol error): the caller decides
 * whether a filter that is down means accept or 451 (`spam_filter_failure`), and logs it.
 *
 * `spamHeaders` and `decideSpam` are pure. Side effects: one TCP connection (or HTTP request) per message.
 */

import { connect } from 'node:net';
import { request } from 'node:http';
import { MailError } from '../lib/errors.js';

export interface SpamVerdict {
  score: number;
  /** The filter's own spam threshold. */
  required: number;
  /** The filter says spam (spamd: score ≥ required; rspamd: an action other than "no action" / "greylist"). */
  isSpam: boolean;
  /** rspamd's action ("reject", "add header", ...); null for spamd. */
  action: string | null;
  symbols: string[];
}

export interface SpamCheckMeta {
  ip: string;
  helo: string;
  sender: string;
  recipients: readonly string[];
  hostname: string;
}

export interface SpamFilter {
  readonly name: string;
  check(message: Buffer, meta: SpamCheckMeta): Promise<SpamVerdict>;
}

export interface FilterEndpoint {
  host: string;
  port: number;
  timeoutMs: number;
}

/** Parses a spamd reply (header block and body). Throws on a protocol error or a non-zero spamd status. */
export function parseSpamdReply(reply: string): SpamVerdict {
  const [head = '', body = ''] = reply.split(/\r?\n\r?\n/, 2);
  const lines = head.split(/\r?\n/);
  const status = /^SPAMD\/\d+\.\d+ (\d+) (\S+)/.exec(lines[0] ?? '');
  if (status === null) throw new Error(`spamd: bad reply: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  if (status[1] !== '0') throw new Error(`spamd: ${status[1]} ${status[2]}`);
  const spam = lines.map((l) => /^Spam:\s*(True|False|Yes|No)\s*;\s*(-?[\d.]+)\s*\/\s*(-?[\d.]+)/i.exec(l)).find((m) => m !== null);
  if (spam === undefined || spam === null) throw new Error('spamd: reply without a Spam header');
  const symbols = body
    .trim()
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return { isSpam: /^(true|yes)$/i.test(spam[1] ?? ''), score: Number(spam[2]), required: Number(spam[3]), action: null, symbols };
}

export class SpamdClient implements SpamFilter {
  readonly name = 'spamd';
  constructor(private readonly endpoint: FilterEndpoint) {}

  check(message: Buffer): Promise<SpamVerdict> {
    const { host, port, timeoutMs } = this.endpoint;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect({ host, port });
      const timer = setTimeout(() => socket.destroy(new Error(`spamd: no answer within ${timeoutMs} ms`)), timeoutMs);
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on('end', () => {
        clearTimeout(timer);
        try {
          resolve(parseSpamdReply(Buffer.concat(chunks).toString('latin1')));
        } catch (e) {
          reject(e);
        }
      });
      socket.on('connect', () => {
        // spamc protocol: request line, Content-length of the message, blank line, message; then half-close.
        socket.write(`SYMBOLS SPAMC/1.5\r\nContent-length: ${message.length}\r\nUser: pochta\r\n\r\n`);
        socket.end(message);
      });
    });
  }
}

interface RspamdReply {
  score?: unknown;
  required_score?: unknown;
  action?: unknown;
  symbols?: unknown;
}

/** Parses rspamd's /checkv2 JSON answer. */
export function parseRspamdReply(json: string): SpamVerdict {
  const r = JSON.parse(json) as RspamdReply;
  if (typeof r.score !== 'number' || typeof r.action !== 'string') throw new Error('rspamd: reply without score or action');
  const required = typeof r.required_score === 'number' ? r.required_score : 15;
  const symbols = r.symbols !== null && typeof r.symbols === 'object' ? Object.keys(r.symbols).sort() : [];
  return { score: r.score, required, action: r.action, isSpam: !['no action', 'greylist'].includes(r.action), symbols };
}

export class RspamdClient implements SpamFilter {
  readonly name = 'rspamd';
  constructor(private readonly endpoint: FilterEndpoint) {}

  check(message: Buffer, meta: SpamCheckMeta): Promise<SpamVerdict> {
    const { host, port, timeoutMs } = this.endpoint;
    const headers: Record<string, string | string[]> = {
      'Content-Length': String(message.length),
      'MTA-Name': meta.hostname,
      From: meta.sender,
      Rcpt: [...meta.recipients],
    };
    if (meta.ip !== '') headers['IP'] = meta.ip;
    if (meta.helo !== '') headers['Helo'] = meta.helo;
    return new Promise((resolve, reject) => {
      const req = request({ host, port, method: 'POST', path: '/checkv2', headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          try {
            if (res.statusCode !== 200) throw new Error(`rspamd: HTTP ${res.statusCode}`);
            resolve(parseRspamdReply(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`rspamd: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(message);
    });
  }
}

/** The X-Spam-* header lines (CRLF-terminated) for a verdict, SpamAssassin style. */
export function spamHeaders(v: SpamVerdict, filter: string): string {
  const tests = v.symbols.join(',').replace(/[^\x21-\x7e,]/g, '');
  const status = `X-Spam-Status: ${v.isSpam ? 'Yes' : 'No'}, score=${v.score.toFixed(1)} required=${v.required.toFixed(1)} filter=${filter}${tests === '' ? '' : ` tests=${tests}`}\r\n`;
  return (v.isSpam ? 'X-Spam-Flag: YES\r\n' : '') + status;
}

export type SpamDecision = 'deliver' | 'junk' | 'reject';

/** Deliver, Junk or reject by score: reject at `rejectScore` (0: never), Junk when the filter says spam. */
export function decideSpam(v: SpamVerdict, rejectScore: number): SpamDecision {
  if (rejectScore > 0 && v.score >= rejectScore) return 'reject';
  if (v.action === 'reject' && rejectScore === 0) return 'junk';
  return v.isSpam ? 'junk' : 'deliver';
}

export type FilterOutcome =
  | { kind: 'reject'; error: MailError; verdict: SpamVerdict | null; failure: unknown }
  | { kind: 'accept'; header: string; junk: boolean; verdict: SpamVerdict | null; failure: unknown };

/**
 * Asks the filter and applies the policy: reject (550 5.7.1) at `rejectScore`, Junk for spam, else deliver.
 * A filter that is down gives `accept` without a verdict (and the failure, for the log) or, with `tempfail`,
 * a 451 4.7.1 so that the sender retries; the message is never lost.
 */
export async function filterMessage(
  filter: SpamFilter,
  message: Buffer,
  meta: SpamCheckMeta,
  policy: { rejectScore: number; onFailure: 'accept' | 'tempfail' },
): Promise<FilterOutcome> {
  let verdict: SpamVerdict;
  try {
    verdict = await filter.check(message, meta);
  } catch (failure) {
    if (policy.onFailure === 'tempfail') {
      return { kind: 'reject', error: new MailError('Content filter unavailable, try again later', { code: 451, enhanced: '4.7.1', temporary: true }), verdict: null, failure };
    }
    return { kind: 'accept', header: '', junk: false, verdict: null, failure };
  }
  const decision = decideSpam(verdict, policy.rejectScore);
  if (decision === 'reject') {
    // RFC 3463 X.7.1: delivery not authorized, message refused.
    return { kind: 'reject', error: new MailError('Message rejected as spam', { code: 550, enhanced: '5.7.1', temporary: false }), verdict, failure: null };
  }
  return { kind: 'accept', header: spamHeaders(verdict, filter.name), junk: decision === 'junk', verdict, failure: null };
}
