/**
 * One POP3 connection (RFC 1939), with CAPA (RFC 2449), STLS (RFC 2595), AUTH (RFC 5034) and response
 * codes (RFC 3206).
 *
 * States (RFC 1939 §3) as a tagged union: authorization (optionally mid-USER or mid-SASL) → transaction →
 * update (only through QUIT) → closed. Which command is valid where is the COMMANDS table.
 *
 * Invariants:
 * - Commands run one at a time in arrival order (RFC 2449 PIPELINING): input is buffered and the socket
 *   paused when a backlog builds up; replies therefore come out in order.
 * - Deletions happen only in the update state, after QUIT in the transaction state (RFC 1939 §6). A dropped
 *   connection, an autologout, a server shutdown or an internal error deletes nothing.
 * - The maildrop lock is held from login until the session ends (RFC 1939 §8); a second session of the same
 *   account gets `-ERR [IN-USE]` (RFC 3206 §4) and stays in the authorization state.
 * - Passwords are never accepted before TLS unless the listener has allow_plaintext_auth (RFC 2595 §3.1).
 * - STLS discards anything the client pipelined after it (RFC 2595 §4, the CVE-2011-0411 injection).
 * - RETR streams large bodies chunk by chunk, waiting for 'drain' (no whole-message buffering). A small body's
 *   reply is one buffer and one socket write, and the next message's reply is prepared while the client reads
 *   this one (clients retrieve in order); sizes, stuffing and content are those of the chunked encoder. Its
 *   memory comes from per-session reusable buffers (reply-buffers.ts), given back only when the write is done.
 * - Autologout (RFC 1939 §3) counts from the last input or output progress, checked when its one timer fires.
 * - An unexpected exception answers `-ERR [SYS/TEMP]` and closes this session only.
 *
 * APOP (RFC 1939 §7) is not offered: it needs the clear-text password (or an MD5 of it) on the server, and
 * accounts store only one-way hashes (argon2id), so no usable secret exists.
 */
import type { Socket } from 'node:net';
import type { Account } from '../../store/types.js';
import type { Store } from '../../store/types.js';
import type { Directory } from '../../directory/directory.js';
import type { LoginThrottle } from '../../directory/login-throttle.js';
import type { Logger } from '../../lib/logger.js';
import type { ConnectionInfo } from '../../net/listen.js';
import { createSaslServer, parseSaslMechanism, supportedMechanisms, type SaslResult, type SaslServer } from '../sasl/sasl-server.js';
import { Maildrop, type MaildropMessage } from './maildrop.js';
import type { MaildropLocks } from './maildrop-lock.js';
import { Pop3Encoder, encodeCanonicalReply } from './message-encoding.js';
import { ReplyBuffers } from './reply-buffers.js';
import { MAX_AUTH_LINE, MAX_COMMAND_LINE, parseCommandLine, parseLineCount, parseMessageNumber, type Pop3Command } from './parser.js';

export interface Pop3SessionOptions {
  socket: Socket;
  info: ConnectionInfo;
  store: Store;
  directory: Directory;
  throttle: LoginThrottle;
  locks: MaildropLocks;
  log: Logger;
  /** Listener's allow_plaintext_auth: passwords accepted before TLS. */
  allowPlaintextAuth: boolean;
  /** RFC 1939 §3 autologout (config pop3.idle_timeout), at least 10 minutes in production. */
  idleTimeoutMs: number;
  /** Called after every successful login (POP-before-SMTP). */
  onLogin?: (ip: string, account: Account) => void;
}

type State =
  | { kind: 'authorization'; user: string | null }
  | { kind: 'sasl'; sasl: SaslServer }
  | { kind: 'transaction'; account: Account; drop: Maildrop; release: () => void; retrieved: Set<number> }
  | { kind: 'update' }
  | { kind: 'closed' };

type StateKind = 'authorization' | 'transaction';

interface CommandSpec {
  states: StateKind[];
  /** Allowed argument counts [min, max]. */
  args: [number, number];
  run: (s: Pop3Session, cmd: Pop3Command) => Promise<void>;
}

/** Failed or invalid commands before the session is closed. */
const MAX_ERRORS = 10;
/** Failed logins in one session before it is closed. */
const MAX_AUTH_FAILURES = 3;
/** Input backlog (pipelined commands) that pauses reading. */
const MAX_BACKLOG = 64 * 1024;
/** Bodies up to this size are read whole and sent in one write; larger ones are streamed. */
const SMALL_BODY = 256 * 1024;

const COMMANDS: Record<string, CommandSpec> = {
  CAPA: { states: ['authorization', 'transaction'], args: [0, 0], run: (s) => s.capa() },
  STLS: { states: ['authorization'], args: [0, 0], run: (s) => s.stls() },
  USER: { states: ['authorization'], args: [1, 1], run: (s, c) => s.user(c.args[0]!) },
  PASS: { states: ['authorization'], args: [1, Infinity], run: (s, c) => s.pass(c.rest) },
  AUTH: { states: ['authorization'], args: [0, 2], run: (s, c) => s.auth(c.args) },
  APOP: { states: ['authorization'], args: [2, 2], run: (s) => s.error('APOP is not supported') },
  QUIT: { states: ['authorization', 'transaction'], args: [0, 0], run: (s) => s.quit() },
  STAT: { states: ['transaction'], args: [0, 0], run: (s) => s.stat() },
  LIST: { states: ['transaction'], args: [0, 1], run: (s, c) => s.list(c.args[0]) },
  UIDL: { states: ['transaction'], args: [0, 1], run: (s, c) => s.uidl(c.args[0]) },
  RETR: { states: ['transaction'], args: [1, 1], run: (s, c) => s.retr(c.args[0]!, undefined) },
  TOP: { states: ['transaction'], args: [2, 2], run: (s, c) => s.retr(c.args[0]!, c.args[1]!) },
  DELE: { states: ['transaction'], args: [1, 1], run: (s, c) => s.dele(c.args[0]!) },
  NOOP: { states: ['transaction'], args: [0, 0], run: (s) => s.ok('') },
  RSET: { states: ['transaction'], args: [0, 0], run: (s) => s.rset() },
};

export class Pop3Session {
  private socket: Socket;
  private state: State = { kind: 'authorization', user: null };
  private input: Buffer = Buffer.alloc(0);
  /** Skipping the rest of an over-long line. */
  private discarding = false;
  private busy = false;
  private errors = 0;
  private authFailures = 0;
  private shuttingDown = false;
  private readonly log: Logger;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private delayTimer: NodeJS.Timeout | null = null;
  /** RETR read-ahead: the next message's whole reply (small bodies only). */
  private readAhead: { uid: number; reply: Promise<Buffer> } | null = null;
  /** Memory for RETR replies, reused once their write is done. */
  private readonly replies = new ReplyBuffers();
  /** Date.now() of the last input or write progress ('drain'): the autologout timer checks it when it fires. */
  private lastActivity = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly onData = (chunk: Buffer): void => this.received(chunk);
  private readonly onClose = (): void => this.cleanup();
  private readonly onIdleCheck = (): void => this.idleCheck();

  constructor(private readonly o: Pop3SessionOptions) {
    this.socket = o.socket;
    this.log = o.log;
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Resolves when the connection is gone. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  start(): void {
    // Replies are written whole (one write per reply or per large chunk): Nagle would only add latency.
    this.socket.setNoDelay(true);
    this.attach(this.socket);
    // RFC 1939 §4: the greeting. No APOP timestamp, since APOP is not offered.
    this.send('+OK pochta POP3 server ready\r\n');
    this.socket.resume();
  }

  /** Server shutdown: nothing is deleted; an idle session is told and closed at once, a busy one after its command. */
  shutdown(): void {
    this.shuttingDown = true;
    if (!this.busy) this.close('-ERR [SYS/TEMP] Server shutting down\r\n');
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---------------------------------------------------------------------------------------------------
  // Input

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.once('close', this.onClose);
    this.lastActivity = Date.now();
    this.armIdleTimer(this.o.idleTimeoutMs);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onClose);
    this.stopIdleTimer();
  }

  /**
   * RFC 1939 §3 autologout without a timer reset per line or per write (socket.setTimeout refreshes a timer on
   * every read and write): one timer checks the time since the last activity when it fires and re-arms for the
   * rest. Activity is input, or a reply's queued output draining (a long RETR to a slow reader that keeps
   * reading is not idle; a client that stops reading mid-reply is).
   */
  private armIdleTimer(ms: number): void {
    this.stopIdleTimer();
    this.idleTimer = setTimeout(this.onIdleCheck, Math.max(1, ms));
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private idleCheck(): void {
    this.idleTimer = null;
    if (this.state.kind === 'closed') return;
    const idle = Date.now() - this.lastActivity;
    if (idle >= this.o.idleTimeoutMs) {
      this.autologout();
      return;
    }
    this.armIdleTimer(this.o.idleTimeoutMs - idle);
  }

  private received(chunk: Buffer): void {
    if (this.state.kind === 'closed') return;
    this.lastActivity = Date.now();
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    if (this.busy && this.input.length > MAX_BACKLOG) this.socket.pause();
    void this.drain();
  }

  /** The next complete line (without CRLF), 'too-long', or null when more input is needed. */
  private nextLine(): string | 'too-long' | null {
    for (;;) {
      const lf = this.input.indexOf(0x0a);
      if (lf < 0) {
        if (this.input.length > MAX_AUTH_LINE) {
          this.input = Buffer.alloc(0);
          if (!this.discarding) {
            this.discarding = true;
            return 'too-long';
          }
        }
        return null;
      }
      const end = lf > 0 && this.input[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = this.input.subarray(0, end);
      this.input = this.input.subarray(lf + 1);
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (line.length > MAX_AUTH_LINE) return 'too-long';
      return line.toString('utf8');
    }
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.state.kind !== 'closed' && !this.shuttingDown) {
        const line = this.nextLine();
        if (line === null) break;
        await this.handleLine(line);
      }
    } catch (err) {
      this.log.error({ err }, 'pop3 session failed');
      this.close('-ERR [SYS/TEMP] Internal server error\r\n');
    } finally {
      this.busy = false;
    }
    if (this.shuttingDown && this.state.kind !== 'closed') {
      this.close('-ERR [SYS/TEMP] Server shutting down\r\n');
      return;
    }
    if (this.state.kind !== 'closed' && this.socket.isPaused()) this.socket.resume();
  }

  private async handleLine(line: string | 'too-long'): Promise<void> {
    if (this.state.kind === 'sasl') {
      if (line === 'too-long') return this.saslResult(this.state.sasl, { kind: 'error', message: 'Line too long' });
      return this.saslResult(this.state.sasl, this.state.sasl.step(line));
    }
    if (line === 'too-long') return this.error('Line too long');
    const cmd = parseCommandLine(line);
    if (cmd === null) return this.error('Unknown command');
    // RFC 2449 §4: 255 octets per command line; AUTH and PASS lines may carry longer credentials.
    if (Buffer.byteLength(line) + 2 > MAX_COMMAND_LINE && cmd.verb !== 'AUTH' && cmd.verb !== 'PASS') {
      return this.error('Line too long');
    }
    const spec = COMMANDS[cmd.verb];
    if (spec === undefined) return this.error('Unknown command');
    const kind = this.state.kind === 'transaction' ? 'transaction' : 'authorization';
    if (!spec.states.includes(kind)) {
      return this.error(kind === 'authorization' ? 'Unknown command in AUTHORIZATION state (log in first)' : 'Command not valid in TRANSACTION state');
    }
    if (cmd.args.length < spec.args[0] || cmd.args.length > spec.args[1]) return this.error('Invalid arguments');
    if (cmd.verb !== 'PASS' && this.state.kind === 'authorization' && this.state.user !== null && cmd.verb !== 'QUIT') {
      // RFC 1939 §7: after USER, only PASS (or QUIT) continues that login.
      this.state = { kind: 'authorization', user: null };
    }
    await spec.run(this, cmd);
  }

  // ---------------------------------------------------------------------------------------------------
  // Output

  send(text: string | Buffer): boolean {
    if (this.state.kind === 'closed' || this.socket.destroyed) return false;
    return this.socket.write(text);
  }

  /** Writes a RETR reply and gives its memory back to the pool once the socket is done with it. */
  private sendReply(reply: Buffer): void {
    if (this.state.kind === 'closed' || this.socket.destroyed) return;
    this.socket.write(reply, () => this.replies.give(reply));
  }

  async ok(text: string): Promise<void> {
    this.send(text === '' ? '+OK\r\n' : `+OK ${text}\r\n`);
  }

  /** A -ERR for a bad command: counts toward the session's error limit. */
  async error(text: string): Promise<void> {
    this.errors++;
    if (this.errors >= MAX_ERRORS) {
      this.close('-ERR Too many errors, closing connection\r\n');
      return;
    }
    this.send(`-ERR ${text}\r\n`);
  }

  /** Resolves once the socket can take more (or is gone). */
  private waitDrain(): Promise<void> {
    const socket = this.socket;
    if (socket.destroyed || !socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        this.lastActivity = Date.now();
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  private close(lastLine?: string): void {
    if (this.state.kind === 'closed') return;
    if (lastLine !== undefined) this.send(lastLine);
    this.releaseLock();
    this.state = { kind: 'closed' };
    this.stopIdleTimer();
    this.socket.end();
    // A client that does not read its last reply must not hold the connection open.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  private autologout(): void {
    // RFC 1939 §3: the autologout timer closes without entering UPDATE: nothing is deleted.
    this.log.debug('pop3 autologout');
    this.close('-ERR [SYS/TEMP] Autologout; idle for too long\r\n');
  }

  private releaseLock(): void {
    if (this.state.kind === 'transaction') this.state.release();
  }

  private cleanup(): void {
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    this.stopIdleTimer();
    // A dropped connection leaves the transaction state without UPDATE (RFC 1939 §6): nothing is deleted.
    // In 'update' the QUIT handler releases the lock when its expunge is done.
    if (this.state.kind !== 'update') {
      this.releaseLock();
      this.state = { kind: 'closed' };
    }
    this.resolveClosed();
  }

  /** The state may change across an await (the socket closed meanwhile): re-read it through a call. */
  private isClosed(): boolean {
    return this.state.kind === 'closed' || this.socket.destroyed;
  }

  private get plaintextAllowed(): boolean {
    return this.o.info.secure || this.o.allowPlaintextAuth;
  }

  private get transaction(): Extract<State, { kind: 'transaction' }> {
    if (this.state.kind !== 'transaction') throw new Error('not in the transaction state');
    return this.state;
  }

  // ---------------------------------------------------------------------------------------------------
  // AUTHORIZATION state

  async capa(): Promise<void> {
    // RFC 2449 §5: one capability per line.
    const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
    if (this.state.kind !== 'transaction') {
      if (this.plaintextAllowed) caps.push('USER', `SASL ${supportedMechanisms.join(' ')}`);
      if (!this.o.info.secure && this.o.info.startTls !== undefined) caps.push('STLS'); // RFC 2595 §4
    }
    // RFC 2449 §6.7: we never delete messages on our own.
    caps.push('EXPIRE NEVER', 'IMPLEMENTATION pochta');
    this.send(`+OK Capability list follows\r\n${caps.join('\r\n')}\r\n.\r\n`);
  }

  async stls(): Promise<void> {
    const startTls = this.o.info.startTls;
    if (this.o.info.secure) return this.error('Already using TLS');
    if (startTls === undefined) return this.error('STLS is not offered on this port');
    this.send('+OK Begin TLS negotiation\r\n');
    // RFC 2595 §4 / CVE-2011-0411: stop reading and forget anything sent after STLS before the handshake.
    const plain = this.socket;
    this.detach(plain);
    this.input = Buffer.alloc(0);
    this.discarding = false;
    let secure: Socket;
    try {
      secure = await startTls();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'pop3 STLS handshake failed');
      this.cleanup();
      return;
    }
    this.socket = secure;
    this.attach(secure);
    // RFC 2595 §4: the client must discard cached capabilities; the server forgets any USER given.
    this.state = { kind: 'authorization', user: null };
  }

  async user(name: string): Promise<void> {
    if (!this.plaintextAllowed) {
      return this.error('[AUTH] Plaintext authentication disallowed on non-secure connections: use STLS');
    }
    this.state = { kind: 'authorization', user: name };
    await this.ok('Send your password');
  }

  async pass(password: string): Promise<void> {
    if (this.state.kind !== 'authorization' || this.state.user === null) return this.error('Give USER first');
    const login = this.state.user;
    this.state = { kind: 'authorization', user: null };
    await this.login(login, password);
  }

  async auth(args: string[]): Promise<void> {
    if (args.length === 0) {
      // Pre-RFC 5034 clients (and fetchmail probes) list mechanisms with a bare AUTH.
      this.send(`+OK\r\n${this.plaintextAllowed ? supportedMechanisms.join('\r\n') + '\r\n' : ''}.\r\n`);
      return;
    }
    if (!this.plaintextAllowed) {
      return this.error('[AUTH] Plaintext authentication disallowed on non-secure connections: use STLS');
    }
    const mechanism = parseSaslMechanism(args[0]!);
    if (mechanism === null) return this.error('Unsupported authentication mechanism');
    const sasl = createSaslServer(mechanism, args[1]);
    await this.saslResult(sasl, sasl.start());
  }

  private async saslResult(sasl: SaslServer, r: SaslResult): Promise<void> {
    switch (r.kind) {
      case 'challenge':
        this.state = { kind: 'sasl', sasl };
        this.send(`+ ${r.data}\r\n`); // RFC 5034 §4: "+" SP base64 challenge
        return;
      case 'error':
        this.state = { kind: 'authorization', user: null };
        // RFC 5034 §4: a cancelled exchange is answered with -ERR.
        return this.error(r.cancelled === true ? 'Authentication cancelled' : `[AUTH] ${r.message}`);
      case 'done':
        this.state = { kind: 'authorization', user: null };
        return this.login(r.login, r.password);
    }
  }

  /** Verifies credentials through the throttle, locks the maildrop and enters TRANSACTION. */
  private async login(login: string, password: string): Promise<void> {
    const ip = this.o.info.remoteAddress;
    const verdict = this.o.throttle.check(ip, login);
    if (verdict.banned) {
      this.log.info({ user: login, client: ip }, 'pop3 login refused: client banned after failed logins');
      this.close('-ERR [SYS/TEMP] Too many failed logins from your address, try again later\r\n');
      return;
    }
    if (verdict.delayMs > 0) await this.sleep(verdict.delayMs);
    if (this.isClosed()) return;

    let account: Account | null;
    try {
      account = await this.o.directory.authenticate(login, password, { protocol: 'pop3', remoteIp: ip });
    } catch (err) {
      this.log.error({ err, user: login }, 'pop3 authentication backend failed');
      this.send('-ERR [SYS/TEMP] Temporary authentication failure, try again later\r\n');
      return;
    }
    if (account === null) {
      this.o.throttle.recordFailure(ip, login);
      this.authFailures++;
      this.log.info({ user: login, client: ip }, 'pop3 login failed');
      if (this.authFailures >= MAX_AUTH_FAILURES) {
        this.close('-ERR [AUTH] Authentication failed; too many attempts\r\n');
        return;
      }
      // RFC 3206 §5: [AUTH] says the credentials were wrong, not that the server is unavailable.
      return this.error('[AUTH] Authentication failed');
    }
    this.o.throttle.recordSuccess(ip, login);

    const release = this.o.locks.tryAcquire(account.id);
    if (release === null) {
      // RFC 3206 §4: another session holds the maildrop.
      this.send('-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n');
      return;
    }
    let drop: Maildrop | null;
    try {
      drop = await Maildrop.open(this.o.store, account.id);
    } catch (err) {
      release();
      throw err;
    }
    if (drop === null) {
      release();
      this.send('-ERR [SYS/TEMP] Mailbox not available\r\n');
      return;
    }
    if (this.isClosed()) {
      release();
      return;
    }
    this.state = { kind: 'transaction', account, drop, release, retrieved: new Set() };
    this.log.info({ user: account.address, client: ip, messages: drop.total }, 'pop3 login');
    this.o.onLogin?.(ip, account);
    await this.ok(`Logged in, ${drop.liveNumbers().length} messages`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.delayTimer = setTimeout(() => {
        this.delayTimer = null;
        resolve();
      }, ms);
      // Resolve early if the client goes away; the caller checks the state.
      this.socket.once('close', () => resolve());
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // TRANSACTION state

  /** The message for a "msg" argument, or null after answering -ERR. */
  private message(arg: string): { n: number; msg: MaildropMessage } | null {
    const n = parseMessageNumber(arg);
    if (n === null) {
      void this.error('Invalid message number');
      return null;
    }
    const found = this.transaction.drop.lookup(n);
    if (found.kind === 'absent') {
      void this.error(`There is no message ${n}`);
      return null;
    }
    if (found.kind === 'deleted') {
      void this.error(`Message ${n} is marked deleted`);
      return null;
    }
    return { n, msg: found.msg };
  }

  async stat(): Promise<void> {
    const { count, size } = await this.transaction.drop.stat();
    await this.ok(`${count} ${size}`); // RFC 1939 §5: "+OK nn mm"
  }

  async list(arg: string | undefined): Promise<void> {
    const drop = this.transaction.drop;
    if (arg !== undefined) {
      const m = this.message(arg);
      if (m === null) return;
      return this.ok(`${m.n} ${await drop.sizeOf(m.msg)}`);
    }
    const { count, size } = await drop.stat();
    const lines = [`+OK ${count} messages (${size} octets)`];
    for (const n of drop.liveNumbers()) {
      const found = drop.lookup(n);
      if (found.kind === 'ok') lines.push(`${n} ${await drop.sizeOf(found.msg)}`);
    }
    this.send(`${lines.join('\r\n')}\r\n.\r\n`);
  }

  async uidl(arg: string | undefined): Promise<void> {
    const drop = this.transaction.drop;
    if (arg !== undefined) {
      const m = this.message(arg);
      if (m === null) return;
      return this.ok(`${m.n} ${drop.uidl(m.msg)}`);
    }
    const lines = ['+OK Unique-ID listing follows'];
    for (const n of drop.liveNumbers()) {
      const found = drop.lookup(n);
      if (found.kind === 'ok') lines.push(`${n} ${drop.uidl(found.msg)}`);
    }
    this.send(`${lines.join('\r\n')}\r\n.\r\n`);
  }

  async dele(arg: string): Promise<void> {
    const m = this.message(arg);
    if (m === null) return;
    this.transaction.drop.markDeleted(m.msg);
    await this.ok(`Message ${m.n} deleted`);
  }

  async rset(): Promise<void> {
    const drop = this.transaction.drop;
    drop.reset();
    await this.ok(`${drop.liveNumbers().length} messages`);
  }

  /** RETR (topArg undefined) or TOP msg n (RFC 1939 §7). */
  async retr(msgArg: string, topArg: string | undefined): Promise<void> {
    let topLines: number | undefined;
    if (topArg !== undefined) {
      const n = parseLineCount(topArg);
      if (n === null) return this.error('Invalid line count');
      topLines = n;
    }
    const m = this.message(msgArg);
    if (m === null) return;
    const msg = m.msg;
    const t = this.transaction;
    const blobs = this.o.store.blobs;

    if (msg.blobSize <= SMALL_BODY) {
      let reply: Buffer;
      try {
        reply = await this.smallReply(msg, topLines);
      } catch (err) {
        this.log.error({ err, uid: msg.uid }, 'pop3 message body unreadable');
        this.send('-ERR [SYS/TEMP] Message cannot be read now\r\n');
        return;
      }
      this.sendReply(reply); // one socket write per message
      if (topLines === undefined) this.prefetchAfter(m.n);
      await this.waitDrain();
    } else {
      const header = topLines === undefined ? `+OK ${await t.drop.sizeOf(msg)} octets\r\n` : '+OK Top of message follows\r\n';
      const encoder = new Pop3Encoder(topLines);
      if (!(await blobs.has(msg.blobId))) {
        this.send('-ERR [SYS/TEMP] Message cannot be read now\r\n');
        return;
      }
      this.send(Buffer.concat([Buffer.from(header), encoder.push(msg.prefix).out]));
      const stream = blobs.createReadStream(msg.blobId);
      try {
        for await (const chunk of stream) {
          if (this.state.kind === 'closed' || this.socket.destroyed) break;
          const r = encoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
          if (!this.send(r.out)) await this.waitDrain();
          if (r.done) break;
        }
      } catch (err) {
        // The reply has started: the only honest signal left is closing without the terminator.
        this.log.error({ err, uid: msg.uid }, 'pop3 message body read failed mid-transfer');
        this.socket.destroy();
        return;
      } finally {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      }
      this.send(Buffer.concat([encoder.end(), Buffer.from('.\r\n')]));
      await this.waitDrain();
    }
    if (topLines === undefined) t.retrieved.add(msg.uid);
  }

  /**
   * The whole reply to RETR or TOP of a small message (status line, encoded prefix and body, terminator), from
   * the read-ahead when it is the one prepared. Rejects when the body cannot be read (nothing sent yet).
   */
  private smallReply(msg: MaildropMessage, topLines: number | undefined): Promise<Buffer> {
    if (topLines !== undefined) return this.buildSmallReply(msg, topLines);
    const ahead = this.readAhead;
    this.readAhead = null;
    if (ahead !== null && ahead.uid === msg.uid) return ahead.reply;
    return this.buildSmallReply(msg, undefined);
  }

  private async buildSmallReply(msg: MaildropMessage, topLines: number | undefined): Promise<Buffer> {
    const body = await this.o.store.blobs.read(msg.blobId);
    const status = topLines === undefined ? `+OK ${msg.served ?? (await this.transaction.drop.sizeOf(msg))} octets\r\n` : '+OK Top of message follows\r\n';
    if (topLines === undefined && msg.bodyCanonical && body.length === msg.blobSize && msg.prefix.length === 0) {
      // Stored with CRLF already (the usual case): only stuffing dots to add, in one reused buffer.
      return encodeCanonicalReply(status, body, this.replies.take);
    }
    const encoder = new Pop3Encoder(topLines);
    const p = encoder.push(msg.prefix); // the prefix ends a line (Maildrop.open), so the body starts a line
    if (topLines === undefined && msg.bodyCanonical && body.length === msg.blobSize) {
      return encodeCanonicalReply(Buffer.concat([Buffer.from(status), p.out]), body, this.replies.take);
    }
    const parts: Buffer[] = [Buffer.from(status), p.out];
    if (!p.done) parts.push(encoder.push(body).out);
    parts.push(encoder.end(), Buffer.from('.\r\n'));
    return Buffer.concat(parts);
  }

  /**
   * Clients retrieve in order (fetchmail, getmail, poplib loops): prepare the next small message's whole reply
   * while this one is on its way, so the read and the encoding overlap the client's work and the round trip.
   * At most one reply is held; it is used only for RETR of that same message (a DELE in between makes RETR fail
   * before the read-ahead is looked at).
   */
  private prefetchAfter(n: number): void {
    if (this.state.kind !== 'transaction') return;
    const next = this.state.drop.lookup(n + 1);
    if (next.kind !== 'ok' || next.msg.blobSize > SMALL_BODY) return;
    const reply = this.buildSmallReply(next.msg, undefined);
    reply.catch(() => {}); // an error surfaces when (if) the message is requested
    this.readAhead = { uid: next.msg.uid, reply };
  }

  async quit(): Promise<void> {
    const state = this.state;
    if (state.kind !== 'transaction') {
      this.close('+OK Bye\r\n');
      return;
    }
    // RFC 1939 §6: QUIT in TRANSACTION enters UPDATE, which removes the messages marked deleted.
    this.state = { kind: 'update' };
    const deleted = state.drop.deletedUids();
    let reply: string;
    try {
      if (deleted.length > 0) await this.o.store.expunge(state.drop.mailboxId, { uids: deleted, onlyDeleted: false });
      // Like Dovecot: retrieved messages that remain become \Seen for IMAP clients.
      const seen = [...state.retrieved].filter((uid) => !deleted.includes(uid));
      if (seen.length > 0) await this.o.store.storeFlags(state.drop.mailboxId, seen, 'add', ['\\Seen']);
      const left = state.drop.total - deleted.length;
      reply = `+OK Logging out (${left} messages left)\r\n`;
      this.log.info({ user: state.account.address, deleted: deleted.length }, 'pop3 logout');
    } catch (err) {
      this.log.error({ err, user: state.account.address }, 'pop3 update failed');
      // RFC 1939 §6: "-ERR some deleted messages not removed".
      reply = '-ERR [SYS/TEMP] Some deleted messages not removed\r\n';
    } finally {
      state.release();
    }
    this.state = { kind: 'authorization', user: null };
    this.close(reply);
  }
}
