/**
 * The outbound `Transport` (queue/transport.ts) over SMTP: route (MX per RFC 5321 §5.1, or one smarthost),
 * then every MX host and every address of each, in order, until a server takes responsibility for the
 * message or answers it for good.
 *
 * Per attempt of one message to one domain:
 * - A connection-level failure (refused, timeout, 4xx/5xx greeting, lost connection, TLS trouble) moves on
 *   to the next address / MX host (Postfix treats a 5xx greeting the same way: smtp_skip_5xx_greeting).
 *   When every host failed so, the recipients are deferred: a refusing or silent server is never a bounce.
 * - A reply to MAIL, RCPT or DATA decides: 2xx delivered, 4xx deferred, 5xx failed, per recipient (RCPT
 *   replies are per recipient; a MAIL or DATA reply applies to every recipient still open).
 * - Before MAIL: a message over the server's SIZE (RFC 1870 §6.1) fails 552 5.3.4; a message that needs
 *   SMTPUTF8 at a server without it fails 553 5.6.7 (RFC 6531 §3.2, RFC 6533 §3); an 8-bit body at a server
 *   without 8BITMIME fails 554 5.6.3 (RFC 6152 §3 lets us refuse instead of converting).
 *
 * Connection reuse: after a transaction the session goes to a small idle pool keyed by destination (the
 * domain, or the smarthost); the next message to it takes it after an RSET. Idle sessions close after
 * `poolIdleMs`, and a session is retired after `maxMessagesPerSession` transactions.
 *
 * Side effects: DNS queries through the Resolver, TCP connections.
 */

import { isIP } from 'node:net';
import type { Resolver } from '../../../dns/resolver.js';
import type { Logger } from '../../../lib/logger.js';
import type { OutboundMessage, RecipientDeliveryResult, Transport } from '../../../queue/transport.js';
import { resolveHostAddresses, resolveRoute, type MxHost } from './mx.js';
import { parseReply } from './reply.js';
import { RFC5321_TIMEOUTS, SessionError, SmtpSession, type SendOutcome, type SmtpTimeouts, type SmtpTlsPolicy } from './session.js';
import { readFileSync } from 'node:fs';
import { UserError } from '../../../lib/errors.js';

export interface RelayHost {
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** queue.relay_tls (default 'verify'). */
  tls?: 'verify' | 'encrypt' | 'may';
  /** PEM of queue.relay_tls_ca. */
  ca?: string;
}

export interface SmtpTransportOptions {
  resolver: Resolver;
  /** Our EHLO name (server.hostname). */
  hostname: string;
  /** Port of MX hosts (queue.remote_port, default 25). */
  port?: number;
  /** Smarthost: every message goes there instead of the MX hosts (queue.relay_host). */
  relay?: RelayHost | null;
  timeouts?: Partial<SmtpTimeouts>;
  /** STARTTLS when offered (default) or never. */
  tls?: 'opportunistic' | 'none';
  poolIdleMs?: number;
  maxMessagesPerSession?: number;
  log?: Logger;
  /** Random source for the MX shuffle (tests). */
  random?: () => number;
}

interface PooledSession {
  session: SmtpSession;
  timer: NodeJS.Timeout;
}

/** A connection-level failure seen while trying hosts: remembered for the final "deferred" result. */
interface LastProblem {
  text: string;
  remoteMta: string | null;
  reply: string | null;
}

const NON_ASCII = /[^\p{ASCII}]/u;

function hasEightBit(b: Buffer): boolean {
  for (const c of b) if (c >= 0x80) return true;
  return false;
}

/** Splits "host:port" / "[v6]:port" / "host" of queue.relay_host (port 25 when omitted). */
export function parseRelayHost(value: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 25 };
  const m = /^([^:]+)(?::(\d+))?$/.exec(value);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : 25 };
  return { host: value, port: 25 };
}

export class SmtpTransport implements Transport {
  private readonly opts: SmtpTransportOptions;
  private readonly timeouts: SmtpTimeouts;
  private readonly pool = new Map<string, PooledSession[]>();
  private closed = false;

  constructor(opts: SmtpTransportOptions) {
    this.opts = opts;
    this.timeouts = { ...RFC5321_TIMEOUTS, ...opts.timeouts };
  }

  async deliver(message: OutboundMessage): Promise<RecipientDeliveryResult[]> {
    const recipients = [...new Set(message.recipients)];
    const results = new Map<string, RecipientDeliveryResult>();
    const open = (): string[] => recipients.filter((r) => !results.has(r));
    const setAll = (r: Omit<RecipientDeliveryResult, 'address'>): void => {
      for (const a of open()) results.set(a, { address: a, ...r });
    };
    const finish = (): RecipientDeliveryResult[] => recipients.map((r) => results.get(r)!);

    const relay = this.opts.relay ?? null;
    const key = relay ? `relay:${relay.host}:${relay.port}` : `mx:${message.domain}`;
    const port = relay ? relay.port : (this.opts.port ?? 25);
    let hosts: MxHost[];
    if (relay) {
      hosts = [{ name: relay.host, priority: 0, implicit: true }];
    } else {
      const route = await resolveRoute(this.opts.resolver, message.domain, this.opts.random, this.opts.hostname);
      if (route.kind === 'fail') {
        setAll({ status: route.temporary ? 'deferred' : 'failed', code: route.code, enhanced: route.enhanced, reply: route.reason, remote: false, remoteMta: null });
        return finish();
      }
      hosts = route.hosts;
    }

    let last: LastProblem | null = null;
    let addressLookupsFailedForGood = true;

    // A pooled session first: same destination, known to work.
    const pooled = await this.takePooled(key);
    if (pooled) {
      const done = await this.transact(pooled, message, open(), results, key);
      if (done) return finish();
      last = { text: 'connection lost', remoteMta: pooled.hostName, reply: null };
    }

    for (const host of hosts) {
      const addrs = await resolveHostAddresses(this.opts.resolver, host.name);
      if (addrs.kind === 'fail') {
        if (addrs.temporary) addressLookupsFailedForGood = false;
        last = { text: addrs.reason, remoteMta: null, reply: null };
        continue;
      }
      addressLookupsFailedForGood = false;
      for (const address of addrs.addresses) {
        if (this.closed) break;
        let session: SmtpSession;
        try {
          session = await SmtpSession.open({
            address,
            port,
            hostName: host.name,
            ehloName: this.opts.hostname,
            timeouts: this.timeouts,
            tls: relay ? relayPolicy(relay) : (this.opts.tls ?? 'opportunistic'),
            ...(relay?.ca ? { ca: relay.ca } : {}),
            ...(relay?.user !== undefined && relay.password !== undefined ? { auth: { user: relay.user, pass: relay.password } } : {}),
          });
        } catch (e) {
          const err = e instanceof SessionError ? e : new SessionError(String(e), 'connect', null);
          this.opts.log?.info({ queueId: message.id, host: host.name, address, err: err.message }, 'outbound connection failed');
          last = { text: `${host.name}[${address}]: ${err.message}`, remoteMta: host.name, reply: err.reply };
          if (err.stage === 'auth' && err.code !== null && err.code >= 500) {
            // A smarthost refusing our credentials will not change its mind on the next address.
            setAll({ status: 'deferred', code: 451, enhanced: '4.7.0', reply: `AUTH at ${host.name} failed: ${err.reply ?? err.message}`, remote: err.reply !== null, remoteMta: host.name });
            return finish();
          }
          continue;
        }
        const done = await this.transact(session, message, open(), results, key);
        if (done) return finish();
        last = { text: `${host.name}[${address}]: connection lost during the transaction`, remoteMta: host.name, reply: null };
      }
    }

    if (addressLookupsFailedForGood && pooled === null) {
      // No host had an address (NXDOMAIN/NODATA for every one): nothing will ever be reachable.
      setAll({ status: 'failed', code: 550, enhanced: '5.4.4', reply: `No address for any mail host of ${message.domain}: ${last?.text ?? ''}`, remote: false, remoteMta: null });
      return finish();
    }
    const parsed = last?.reply ? parseReply(last.reply) : null;
    setAll({
      status: 'deferred',
      code: 451,
      enhanced: parsed && parsed.code >= 400 ? `4${parsed.enhanced.slice(1)}` : '4.4.1',
      reply: last?.reply ?? last?.text ?? 'no mail host could be reached',
      remote: last?.reply != null,
      remoteMta: last?.remoteMta ?? null,
    });
    return finish();
  }

  /**
   * Runs one transaction on `session` for the recipients still open. Returns true when the attempt is
   * decided (results set for every open recipient), false when the connection failed and the next host
   * should be tried. Pools or closes the session.
   */
  private async transact(
    session: SmtpSession,
    message: OutboundMessage,
    rcpts: string[],
    results: Map<string, RecipientDeliveryResult>,
    key: string,
  ): Promise<boolean> {
    const mta = session.hostName;
    const local = (code: number, enhanced: string, reply: string): boolean => {
      for (const a of rcpts) results.set(a, { address: a, status: code >= 500 ? 'failed' : 'deferred', code, enhanced, reply, remote: false, remoteMta: mta });
      this.release(key, session);
      return true;
    };
    // RFC 1870 §6.1: do not send a message the server announced it will not take.
    if (session.maxSize > 0 && message.data.length > session.maxSize) {
      return local(552, '5.3.4', `Message size ${message.data.length} exceeds the limit of ${mta} (${session.maxSize} bytes)`);
    }
    const needsUtf8 = message.smtputf8 || NON_ASCII.test(message.sender) || rcpts.some((r) => NON_ASCII.test(r));
    if (needsUtf8 && !session.extensions.includes('SMTPUTF8')) {
      // RFC 6531 §3.2 / RFC 6533 §3: no downgrade here, a clear bounce instead.
      return local(553, '5.6.7', `The message needs SMTPUTF8 (internationalized addresses or headers) but ${mta} does not support it`);
    }
    if (message.eightBit && !session.extensions.includes('8BITMIME') && hasEightBit(message.data)) {
      return local(554, '5.6.3', `The message has 8-bit content but ${mta} does not support 8BITMIME`);
    }

    const outcome: SendOutcome = await session.send(
      { from: message.sender, to: rcpts, size: message.data.length, eightBit: message.eightBit, smtputf8: needsUtf8 },
      message.data,
    );
    const fromReply = (address: string, reply: string): RecipientDeliveryResult => {
      const p = parseReply(reply);
      const code = p?.code ?? 451;
      return {
        address,
        status: code < 400 ? 'delivered' : code < 500 ? 'deferred' : 'failed',
        code,
        enhanced: p?.enhanced ?? '4.0.0',
        reply: p?.text ?? reply,
        remote: p !== null,
        remoteMta: mta,
      };
    };
    for (const r of outcome.rejected) if (rcpts.includes(r.address)) results.set(r.address, fromReply(r.address, r.reply));
    if (outcome.kind === 'sent') {
      for (const a of outcome.accepted) results.set(a, fromReply(a, outcome.reply || '250 2.0.0 OK'));
      for (const a of rcpts) if (!results.has(a)) results.set(a, fromReply(a, outcome.reply || '250 2.0.0 OK'));
      this.release(key, session);
      return true;
    }
    if (outcome.stage === 'connection') {
      session.close();
      // Recipients already refused at RCPT keep that answer; the rest go to the next host.
      return rcpts.every((a) => results.has(a));
    }
    const reply = outcome.reply ?? '451 4.4.2 transaction failed';
    for (const a of rcpts) if (!results.has(a)) results.set(a, fromReply(a, reply));
    this.release(key, session);
    return true;
  }

  private release(key: string, session: SmtpSession): void {
    const max = this.opts.maxMessagesPerSession ?? 100;
    if (this.closed || !session.usable || session.messagesSent >= max) {
      session.close();
      return;
    }
    const list = this.pool.get(key) ?? [];
    const entry: PooledSession = {
      session,
      timer: setTimeout(() => {
        const l = this.pool.get(key);
        if (l) {
          const i = l.indexOf(entry);
          if (i >= 0) l.splice(i, 1);
          if (l.length === 0) this.pool.delete(key);
        }
        session.close();
      }, this.opts.poolIdleMs ?? 5000),
    };
    entry.timer.unref();
    list.push(entry);
    this.pool.set(key, list);
  }

  private async takePooled(key: string): Promise<SmtpSession | null> {
    const list = this.pool.get(key);
    while (list && list.length > 0) {
      const entry = list.pop()!;
      if (list.length === 0) this.pool.delete(key);
      clearTimeout(entry.timer);
      if (await entry.session.reset()) return entry.session;
      entry.session.close();
    }
    return null;
  }

  /** Sessions open in the idle pool (tests). */
  get idleSessions(): number {
    let n = 0;
    for (const l of this.pool.values()) n += l.length;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const list of this.pool.values()) {
      for (const e of list) {
        clearTimeout(e.timer);
        e.session.close();
      }
    }
    this.pool.clear();
  }
}

function relayPolicy(relay: RelayHost): SmtpTlsPolicy {
  const t = relay.tls ?? 'verify';
  return t === 'may' ? 'opportunistic' : t;
}

/** The transport of a config's [queue] and [server] tables. */
export function createSmtpTransport(
  config: {
    server: { hostname: string };
    queue: {
      remote_port: number;
      relay_host?: string | undefined;
      relay_user?: string | undefined;
      relay_password?: string | undefined;
      relay_tls?: 'verify' | 'encrypt' | 'may';
      relay_tls_ca?: string | undefined;
    };
  },
  resolver: Resolver,
  extra: Partial<Omit<SmtpTransportOptions, 'resolver' | 'hostname' | 'port' | 'relay'>> = {},
): SmtpTransport {
  const q = config.queue;
  let relay: RelayHost | null = null;
  if (q.relay_host !== undefined) {
    const hp = parseRelayHost(q.relay_host);
    relay = { host: isIP(hp.host) ? hp.host : hp.host.toLowerCase(), port: hp.port, tls: q.relay_tls ?? 'verify' };
    if (q.relay_tls_ca !== undefined) {
      try {
        relay.ca = readFileSync(q.relay_tls_ca, 'utf8');
      } catch (e) {
        throw new UserError(`cannot read queue.relay_tls_ca ${q.relay_tls_ca}: fix the path in pochta.toml`, { cause: e });
      }
    }
    if (q.relay_user !== undefined && q.relay_password !== undefined) {
      relay.user = q.relay_user;
      relay.password = q.relay_password;
    }
  }
  return new SmtpTransport({ ...extra, resolver, hostname: config.server.hostname, port: q.remote_port, relay });
}
