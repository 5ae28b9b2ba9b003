/**
 * One outbound SMTP session on nodemailer's SMTPConnection (no hand-written SMTP): connect to one address,
 * EHLO with our host name, opportunistic STARTTLS, optional AUTH (smarthost), then any number of
 * transactions (`send`) until `close`.
 *
 * Timeouts (RFC 5321 §4.5.3.2): nodemailer bounds connecting and the greeting itself; for the rest this
 * module sets the socket's inactivity timeout before each command: MAIL 5 min, RCPT 5 min, DATA initiation
 * 2 min, each data block 3 min, the reply to the final "." 10 min. They are `SmtpTimeouts` so tests shorten
 * them. (With PIPELINING the MAIL/RCPT/DATA batch runs under the DATA initiation timeout, the last one set.)
 *
 * TLS: STARTTLS whenever offered, without certificate verification (opportunistic TLS, RFC 7435, like
 * Postfix's `smtp_tls_security_level = may`); a failed upgrade continues in plain text (nodemailer's
 * opportunisticTLS).
 *
 * SMTPUTF8 (RFC 6531 §3.4): nodemailer adds the SMTPUTF8 parameter only for non-ASCII addresses; a message
 * whose header needs it (the queue entry's `smtputf8` flag) gets it added to MAIL FROM here.
 *
 * Two of nodemailer's private members are used, in this file only: `_sendCommand` (wrapped to set the per
 * command timeout and the SMTPUTF8 parameter) and `_supportedExtensions`/`_maxAllowedSize` (the EHLO
 * keywords, needed before the transaction starts).
 *
 * Side effects: one TCP connection; never throws synchronously; every nodemailer 'error' event is handled.
 */

import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { parseReply } from './reply.js';

export interface SmtpTimeouts {
  /** TCP connect. RFC 5321 gives none; Postfix uses 30 s. */
  connect: number;
  /** RFC 5321 §4.5.3.2.1: initial 220 message, 5 minutes. */
  greeting: number;
  /** EHLO, STARTTLS, AUTH, RSET, QUIT (Postfix's smtp_helo_timeout: 5 minutes). */
  command: number;
  /** §4.5.3.2.2 MAIL: 5 minutes. */
  mail: number;
  /** §4.5.3.2.3 RCPT: 5 minutes. */
  rcpt: number;
  /** §4.5.3.2.4 DATA initiation: 2 minutes. */
  dataInit: number;
  /** §4.5.3.2.5 data block: 3 minutes. */
  dataBlock: number;
  /** §4.5.3.2.6 DATA termination: 10 minutes. */
  dataEnd: number;
}

export const RFC5321_TIMEOUTS: Readonly<SmtpTimeouts> = {
  connect: 30_000,
  greeting: 300_000,
  command: 300_000,
  mail: 300_000,
  rcpt: 300_000,
  dataInit: 120_000,
  dataBlock: 180_000,
  dataEnd: 600_000,
};

export type SmtpTlsPolicy = 'opportunistic' | 'none' | 'encrypt' | 'verify';

export interface SessionOptions {
  /** IP address to connect to. */
  address: string;
  port: number;
  /** Host name the address belongs to (TLS SNI, Remote-MTA in DSNs). */
  hostName: string;
  /** Our name for EHLO (server.hostname). */
  ehloName: string;
  timeouts: SmtpTimeouts;
  /**
   * 'opportunistic' (default: STARTTLS when offered, not verified, RFC 7435), 'none' (never STARTTLS),
   * 'encrypt' (STARTTLS required) or 'verify' (STARTTLS required and the certificate checked for hostName).
   */
  tls?: SmtpTlsPolicy;
  /** CA certificates (PEM) for 'verify'; default the system CAs. */
  ca?: string;
  /** AUTH at a smarthost. */
  auth?: { user: string; pass: string };
}

/** A failure before any transaction: connection, greeting, EHLO, TLS or AUTH. */
export class SessionError extends Error {
  /** The server's reply, when it sent one. */
  readonly reply: string | null;
  readonly code: number | null;
  readonly stage: 'connect' | 'auth';
  constructor(message: string, stage: 'connect' | 'auth', reply: string | null) {
    super(message);
    this.name = 'SessionError';
    this.stage = stage;
    this.reply = reply;
    this.code = reply === null ? null : (parseReply(reply)?.code ?? null);
  }
}

export interface SendEnvelope {
  from: string;
  to: string[];
  size: number;
  eightBit: boolean;
  smtputf8: boolean;
}

export interface RecipientReply {
  address: string;
  reply: string;
}

export type SendOutcome =
  /** The server took the message for `accepted`; `rejected` were refused at RCPT. */
  | { kind: 'sent'; accepted: string[]; rejected: RecipientReply[]; reply: string }
  /**
   * The transaction failed. `reply` is the server's answer that ended it (MAIL or DATA), null for a lost
   * connection or a timeout (then the session is unusable). `rejected` lists recipients refused at RCPT.
   */
  | { kind: 'failed'; stage: 'mail' | 'rcpt' | 'data' | 'connection'; reply: string | null; rejected: RecipientReply[]; message: string };

interface NodemailerErrorShape extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
  rejectedErrors?: NodemailerErrorShape[];
}

/** The private members of SMTPConnection this module relies on (see the header comment). */
interface ConnectionInternals {
  _sendCommand(str: string, logStr?: string): void;
  _supportedExtensions: string[];
  _maxAllowedSize: number;
  _socket: Socket | false | null;
}

function asInternals(conn: SMTPConnection): ConnectionInternals {
  return conn as unknown as ConnectionInternals;
}

function errorReply(e: NodemailerErrorShape): string | null {
  return typeof e.response === 'string' && /^[2-5]\d\d/.test(e.response) ? e.response : null;
}

function rejectedOf(e: NodemailerErrorShape | null, fallback: NodemailerErrorShape[] = []): RecipientReply[] {
  const list = e?.rejectedErrors ?? fallback;
  return list.flatMap((r) => (typeof r.recipient === 'string' ? [{ address: r.recipient, reply: errorReply(r) ?? r.message }] : []));
}

export class SmtpSession {
  readonly hostName: string;
  readonly address: string;
  /** Transactions completed on this session. */
  messagesSent = 0;
  private readonly conn: SMTPConnection;
  private readonly timeouts: SmtpTimeouts;
  private broken = false;
  private needSmtpUtf8 = false;

  private constructor(conn: SMTPConnection, opts: SessionOptions) {
    this.conn = conn;
    this.hostName = opts.hostName;
    this.address = opts.address;
    this.timeouts = opts.timeouts;
  }

  /** Connects, greets, EHLOs, upgrades with STARTTLS when offered and authenticates when asked. */
  static open(opts: SessionOptions): Promise<SmtpSession> {
    const t = opts.timeouts;
    const policy = opts.tls ?? 'opportunistic';
    const servername = opts.hostName !== opts.address ? { servername: opts.hostName } : {};
    const conn = new SMTPConnection({
      host: opts.address,
      port: opts.port,
      name: opts.ehloName,
      secure: false,
      ignoreTLS: policy === 'none',
      opportunisticTLS: policy === 'opportunistic',
      requireTLS: policy === 'encrypt' || policy === 'verify',
      // Opportunistic TLS does not authenticate the server (RFC 7435 §1.3): no verification. 'verify' checks the
      // certificate against hostName (the smarthost's configured name), like Postfix's "secure" level.
      tls:
        policy === 'verify'
          ? { rejectUnauthorized: true, servername: opts.hostName, minVersion: 'TLSv1.2', ...(opts.ca ? { ca: opts.ca } : {}) }
          : { rejectUnauthorized: false, ...servername },
      connectionTimeout: t.connect + t.greeting,
      greetingTimeout: t.greeting,
      socketTimeout: t.command,
      socketCloseTimeout: 1000,
      logger: false,
    });
    const session = new SmtpSession(conn, opts);
    session.wrapCommands();
    return new Promise<SmtpSession>((resolve, reject) => {
      let settled = false;
      const fail = (e: NodemailerErrorShape, stage: 'connect' | 'auth'): void => {
        if (settled) return;
        settled = true;
        session.broken = true;
        conn.close();
        reject(new SessionError(e.message, stage, errorReply(e)));
      };
      conn.on('error', (e: NodemailerErrorShape) => {
        session.broken = true;
        fail(e, 'connect');
      });
      conn.once('end', () => {
        session.broken = true;
        fail(new Error('connection closed'), 'connect');
      });
      conn.connect((err) => {
        if (err) return fail(err, 'connect');
        if (opts.auth === undefined) {
          settled = true;
          resolve(session);
          return;
        }
        // Never send the password in clear, whatever the TLS policy (Postfix: smtp_sasl_security_options noplaintext).
        if (!(conn as unknown as { secure: boolean }).secure) {
          return fail(new Error('the server offered no STARTTLS: the password is not sent in clear'), 'auth');
        }
        conn.login({ user: opts.auth.user, pass: opts.auth.pass }, (authErr) => {
          if (authErr) return fail(authErr, 'auth');
          settled = true;
          resolve(session);
        });
      });
    });
  }

  /** EHLO keywords (upper case) as nodemailer recognised them: SIZE, 8BITMIME, SMTPUTF8, PIPELINING, DSN... */
  get extensions(): readonly string[] {
    return asInternals(this.conn)._supportedExtensions;
  }

  /** RFC 1870 SIZE limit the server announced; 0 when none. */
  get maxSize(): number {
    return asInternals(this.conn)._maxAllowedSize || 0;
  }

  get usable(): boolean {
    return !this.broken && !(this.conn as unknown as { _destroyed?: boolean })._destroyed;
  }

  private setTimeout(ms: number): void {
    const socket = asInternals(this.conn)._socket;
    if (socket) socket.setTimeout(ms);
  }

  private wrapCommands(): void {
    const internals = asInternals(this.conn);
    const original = internals._sendCommand.bind(this.conn);
    internals._sendCommand = (str: string, logStr?: string): void => {
      const verb = str.slice(0, 4).toUpperCase();
      if (verb === 'MAIL') {
        this.setTimeout(this.timeouts.mail);
        // RFC 6531 §3.4: the SMTPUTF8 parameter for a message that needs it, even with ASCII addresses.
        if (this.needSmtpUtf8 && this.extensions.includes('SMTPUTF8') && !/\sSMTPUTF8\b/i.test(str)) str += ' SMTPUTF8';
      } else if (verb === 'RCPT') this.setTimeout(this.timeouts.rcpt);
      else if (verb === 'DATA') this.setTimeout(this.timeouts.dataInit);
      else this.setTimeout(this.timeouts.command);
      original(str, logStr);
    };
  }

  /** The message as a stream whose reads switch the socket to the data block and then DATA-end timeouts. */
  private messageStream(data: Buffer): Readable {
    const chunk = 64 * 1024;
    let offset = 0;
    const setTimeout = (ms: number): void => this.setTimeout(ms);
    const { dataBlock, dataEnd } = this.timeouts;
    return new Readable({
      read() {
        if (offset === 0) setTimeout(dataBlock);
        if (offset >= data.length) {
          // §4.5.3.2.6: the wait for the reply to <CRLF>.<CRLF>.
          setTimeout(dataEnd);
          this.push(null);
          return;
        }
        this.push(data.subarray(offset, offset + chunk));
        offset += chunk;
      },
    });
  }

  /** One transaction. Never rejects. */
  send(envelope: SendEnvelope, data: Buffer): Promise<SendOutcome> {
    this.needSmtpUtf8 = envelope.smtputf8;
    return new Promise<SendOutcome>((resolve) => {
      this.conn.send(
        {
          from: envelope.from === '' ? false : envelope.from,
          to: envelope.to,
          size: envelope.size,
          use8BitMime: envelope.eightBit,
        },
        this.messageStream(data),
        (err, info) => {
          if (err || !info) {
            const e = (err ?? new Error('no result')) as NodemailerErrorShape;
            const reply = errorReply(e);
            const rejected = rejectedOf(e);
            if (e.code === 'EENVELOPE' && e.command === 'RCPT TO') {
              this.messagesSent++;
              resolve({ kind: 'failed', stage: 'rcpt', reply, rejected, message: e.message });
            } else if (e.code === 'EENVELOPE' && e.command === 'MAIL FROM' && reply !== null) {
              resolve({ kind: 'failed', stage: 'mail', reply, rejected, message: e.message });
            } else if (e.code === 'EMESSAGE' && e.command === 'DATA' && reply !== null) {
              resolve({ kind: 'failed', stage: 'data', reply, rejected, message: e.message });
            } else {
              this.broken = true;
              resolve({ kind: 'failed', stage: 'connection', reply, rejected, message: e.message });
            }
            return;
          }
          this.messagesSent++;
          const rejected = rejectedOf(null, (info.rejectedErrors ?? []) as NodemailerErrorShape[]);
          for (const r of info.rejected) {
            if (!rejected.some((x) => x.address === r)) rejected.push({ address: r, reply: '550 5.0.0 Recipient rejected' });
          }
          resolve({ kind: 'sent', accepted: info.accepted, rejected, reply: info.response });
        },
      );
    });
  }

  /** RSET before reusing a pooled session (Postfix does the same); false when the session is gone. */
  reset(): Promise<boolean> {
    if (!this.usable) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.conn.reset((err) => {
        if (err) {
          this.broken = true;
          this.conn.close();
          resolve(false);
        } else resolve(true);
      });
    });
  }

  /** QUIT and close. */
  close(): void {
    this.broken = true;
    try {
      this.conn.quit();
    } catch {
      // Already closed.
    }
    this.conn.close();
  }
}
