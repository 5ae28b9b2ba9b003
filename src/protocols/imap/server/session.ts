/**
 * One IMAP connection: socket I/O (plain, TLS, STARTTLS upgrade, COMPRESS=DEFLATE), the command framer,
 * dispatch to the command modules through the state → allowed-commands table, mailbox update flushing and
 * the autologout timer (RFC 9051 §5.4).
 *
 * Invariants:
 * - Commands run one at a time in arrival order; pipelined input waits in the framer (the socket is paused
 *   while it piles up).
 * - Every command ends with exactly one tagged response. An unexpected exception becomes
 *   `NO [SERVERBUG]` for that command only; the session goes on.
 * - Pending mailbox changes are flushed before the tagged response, EXPUNGE only where allowed
 *   (RFC 3501 §7.4.1: not after FETCH, STORE, SEARCH, SORT, THREAD or COPY by sequence number).
 * - Output is buffered per command and written in large chunks; writes wait for 'drain'.
 * Side effects: socket writes, change-feed subscriptions (via MailboxView), timers.
 */

import type { Socket } from 'node:net';
import zlib from 'node:zlib';
import type { Listener as ListenerConfig } from '../../../config/index.js';
import type { ConnectionInfo } from '../../../net/listen.js';
import type { Account } from '../../../store/types.js';
import {
  atom,
  compressNumbers,
  continuation as continuationLine,
  exceedsSequenceNumbers,
  fetchResponse,
  flagList,
  ImapCommandReader,
  ParseError,
  resolveSequenceNumbers,
  resolveUids,
  tagged,
  tryParseCommand,
  untagged,
  untaggedStatus,
  type EncodeOptions,
  type FramedCommand,
  type ImapCommand,
  type ImapValue,
  type ReaderEvent,
  type SequenceSet,
} from '../proto/index.js';
import { capabilityList } from './capabilities.js';
import { no, type CommandModule, type CommandResult, type Enableable, type SessionContext, type SessionDeps } from './command.js';
import { commandModules } from './commands/index.js';
import type { SelectedState, SessionState } from './state.js';
import { storeErrorResult } from './store-errors.js';

/** Hooks into the service: connection accounting and login throttling. */
export interface SessionHost {
  /** Registers a logged-in session; returns false when the user has too many. */
  acquireUser(accountId: number): boolean;
  releaseUser(accountId: number): void;
  /** Delay to apply after a failed login from this address (grows with failures). */
  loginFailureDelay(remoteAddress: string): number;
  /** A login succeeded (POP-before-SMTP grants the address). */
  loginSucceeded(remoteAddress: string, account: Account): void;
  sessionClosed(session: ImapSession): void;
}

const MODULES = new Map<ImapCommand['kind'], CommandModule>();
for (const m of commandModules) for (const n of m.names) MODULES.set(n, m);

/** Above this many buffered pieces, flushOut joins them instead of corking the socket for one writev. */
const WRITEV_MAX_PIECES = 8;
const OUT_FLUSH_BYTES = 64 * 1024;
const PREAUTH_LITERAL_LIMIT = 8 * 1024;

export class ImapSession implements SessionContext {
  state: SessionState = { kind: 'not-authenticated' };
  tag = '*';
  savedUids: number[] | null = null;
  readonly enabled = new Set<Enableable>();
  encodeOpts: EncodeOptions = {};
  compressed = false;

  private socket: Socket;
  private readonly reader: ImapCommandReader;
  private busy = false;
  private closed = false;
  private paused = false;
  private lineWaiter: ((line: Buffer | null) => void) | null = null;
  private out: Buffer[] = [];
  private outBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private idle = false;
  private deflate: zlib.DeflateRaw | null = null;
  private inflate: zlib.InflateRaw | null = null;
  private userAccountId: number | null = null;
  private readonly onSocketData = (chunk: Buffer): void => this.onData(chunk);

  constructor(
    socket: Socket,
    private readonly info: ConnectionInfo,
    private readonly listener: ListenerConfig,
    readonly deps: SessionDeps,
    private readonly host: SessionHost,
  ) {
    this.socket = socket;
    const maxLiteral = deps.config.imap.max_literal_size ?? deps.config.smtp.max_message_size;
    // RFC 7888 §4: an oversized LITERAL+ literal is read and discarded (up to 64 MiB) so the session goes on.
    this.reader = new ImapCommandReader({
      maxLiteralSize: maxLiteral,
      maxSkipSize: Math.max(maxLiteral, 64 * 1024 * 1024),
      maxLineLength: deps.config.imap.max_line_length,
    });
    this.attach(socket);
  }

  // --- lifecycle ----------------------------------------------------------------------------------------

  start(): void {
    this.resetTimer();
    void this.write(untaggedStatus('OK', `${this.deps.config.server.hostname} IMAP4rev2 pochta ready`, `CAPABILITY ${this.capabilities().join(' ')}`)).then(() => this.flushOut());
    this.socket.resume();
  }

  private attach(socket: Socket): void {
    socket.on('data', this.onSocketData);
    socket.once('close', () => this.closed || this.cleanup());
    socket.on('error', () => this.cleanup());
  }

  get secure(): boolean {
    return this.info.secure;
  }
  get remoteAddress(): string {
    return this.info.remoteAddress;
  }
  get loginDisabled(): boolean {
    return !this.info.secure && !this.listener.allow_plaintext_auth;
  }

  capabilities(): string[] {
    return capabilityList({
      authenticated: this.state.kind !== 'not-authenticated',
      loginDisabled: this.loginDisabled,
      canStartTls: this.canStartTls(),
      compressed: this.compressed,
      appendLimit: this.deps.config.imap.max_literal_size ?? this.deps.config.smtp.max_message_size,
    });
  }

  enable(ext: Enableable): void {
    this.enabled.add(ext);
    if (ext === 'QRESYNC') this.enabled.add('CONDSTORE'); // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE
    if (ext === 'UTF8=ACCEPT' || ext === 'IMAP4REV2') this.encodeOpts = { utf8: true };
  }

  /** Ends the session: BYE already written by the caller if wanted. */
  close(): void {
    if (this.closed) return;
    void this.flushOut().finally(() => {
      // Half-close after the queued bytes (a TLS socket sends them and close_notify first): destroying at
      // once lost LOGOUT's BYE/OK on STARTTLS connections. Destroyed for good if the peer never closes.
      const socket = this.socket;
      this.cleanup(false);
      socket.end();
      setTimeout(() => socket.destroy(), 5000).unref();
    });
  }

  /** Service shutdown: BYE then close. */
  shutdown(text = 'Server shutting down'): void {
    if (this.closed) return;
    void this.write(untaggedStatus('BYE', text)).then(() => this.close());
  }

  private cleanup(destroySocket = true): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.state.kind === 'selected') this.state.view.close();
    this.state = { kind: 'logout' };
    if (this.userAccountId !== null) this.host.releaseUser(this.userAccountId);
    this.userAccountId = null;
    const w = this.lineWaiter;
    this.lineWaiter = null;
    w?.(null);
    this.deflate?.destroy();
    this.inflate?.destroy();
    this.host.sessionClosed(this);
    if (destroySocket && !this.socket.destroyed) this.socket.destroy();
  }

  // --- autologout -----------------------------------------------------------------------------------------

  private resetTimer(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const configured = this.deps.config.imap.idle_timeout * 1000;
    // RFC 9051 §5.4: at least 30 min once authenticated (the default); a shorter limit before login.
    const ms = this.state.kind === 'not-authenticated' ? Math.min(configured, 60_000) : configured;
    this.timer = setTimeout(() => {
      void this.write(untaggedStatus('BYE', 'Autologout; idle for too long')).then(() => this.close());
    }, ms);
  }

  setIdle(idle: boolean): void {
    this.idle = idle;
    this.resetTimer();
  }

  // --- input ----------------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.inflate) {
      this.inflate.write(chunk);
      return;
    }
    this.feed(chunk);
  }

  private feed(chunk: Buffer): void {
    if (this.closed) return;
    if (!this.reader.push(chunk) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (this.lineWaiter) this.feedWaiter();
    else if (!this.busy) void this.pump();
  }

  private resumeInput(): void {
    if (this.paused && !this.closed) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      while (!this.closed && !this.lineWaiter) {
        const ev = this.reader.next();
        if (!ev) break;
        await this.handleEvent(ev);
      }
    } catch (e) {
      this.deps.log.error({ err: e instanceof Error ? e.stack : String(e) }, 'imap session failure');
      this.close();
    } finally {
      this.busy = false;
    }
    this.resumeInput();
  }

  private async handleEvent(ev: ReaderEvent): Promise<void> {
    switch (ev.kind) {
      case 'continuation':
        // RFC 7888 §4: before authentication only small literals (credentials) are accepted.
        if (this.state.kind === 'not-authenticated' && ev.size > PREAUTH_LITERAL_LIMIT) {
          this.reader.refuseLiteral();
          await this.write(ev.tag ? tagged(ev.tag, 'BAD', 'Literal too large before authentication', 'TOOBIG') : untaggedStatus('BAD', 'Literal too large'));
          await this.flushOut();
          return;
        }
        // RFC 9051 §7.6: go ahead with a synchronising literal.
        this.reader.continueLiteral();
        await this.write(continuationLine('Ready for literal data'));
        await this.flushOut();
        this.resumeInput();
        return;
      case 'error': {
        const e = ev.error;
        await this.write(e.tag ? tagged(e.tag, 'BAD', e.message, e.kind === 'literal-too-large' ? 'TOOBIG' : null) : untaggedStatus('BAD', e.message));
        if (e.fatal) {
          await this.write(untaggedStatus('BYE', 'Too much invalid input'));
          this.close();
        }
        await this.flushOut();
        return;
      }
      case 'command':
        await this.handleCommand(ev.command);
        return;
    }
  }

  /** For SASL exchanges and IDLE: the next line the client sends. */
  readLine(): Promise<Buffer | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
      this.feedWaiter();
      this.resumeInput();
    });
  }

  private feedWaiter(): void {
    while (this.lineWaiter) {
      const ev = this.reader.next();
      if (!ev) return;
      const w = this.lineWaiter;
      if (ev.kind === 'command') {
        this.lineWaiter = null;
        w(ev.command.bytes);
      } else if (ev.kind === 'continuation') {
        // A literal where a bare line is expected: not part of a SASL response or DONE.
        this.reader.refuseLiteral();
        this.lineWaiter = null;
        w(Buffer.from('*'));
      } else {
        this.lineWaiter = null;
        w(Buffer.from('*'));
      }
    }
  }

  // --- commands -------------------------------------------------------------------------------------------

  private async handleCommand(framed: FramedCommand): Promise<void> {
    this.resetTimer();
    const parsed = tryParseCommand(framed.bytes, { utf8: this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2') });
    if (!parsed.ok) {
      const e = parsed.error;
      const tag = e.tag ?? framed.tag;
      if (tag) await this.write(tagged(tag, e.status, e.message, e.code));
      else await this.write(untaggedStatus('BAD', e.message));
      await this.flushOut();
      return;
    }
    const { tag, command } = parsed.value;
    this.tag = tag;
    let res: CommandResult;
    const mod = MODULES.get(command.kind);
    if (!mod || command.kind === 'UNKNOWN') {
      res = { status: 'BAD', text: `Unknown command ${command.kind === 'UNKNOWN' ? command.name.slice(0, 30) : command.kind}` };
    } else if (!mod.states.includes(this.state.kind)) {
      res = { status: 'BAD', text: notAllowedText(this.state.kind, command.kind) };
    } else {
      try {
        res = await mod.run(this, command);
      } catch (e) {
        res = storeErrorResult(e) ?? this.serverBug(e, command.kind);
      }
    }
    if (this.closed) return;
    if (this.state.kind === 'selected' && !res.noFlush) {
      try {
        await this.flushUpdates(expungeAllowed(command));
      } catch (e) {
        this.serverBug(e, 'flush');
      }
    }
    await this.write(tagged(tag, res.status, res.text, res.code));
    await this.flushOut();
    this.tag = '*';
    if (res.after) await res.after();
  }

  private serverBug(e: unknown, what: string): CommandResult {
    this.deps.log.error({ err: e instanceof Error ? e.stack : String(e), command: what }, 'imap command failed');
    return no('Internal server error', 'SERVERBUG');
  }

  // --- output ---------------------------------------------------------------------------------------------

  async write(data: Buffer): Promise<void> {
    if (this.closed) return;
    this.out.push(data);
    this.outBytes += data.length;
    if (this.outBytes >= OUT_FLUSH_BYTES) await this.flushOut();
  }

  async untagged(values: readonly ImapValue[]): Promise<void> {
    await this.write(untagged(values, this.encodeOpts));
  }

  async continuation(text: string): Promise<void> {
    await this.write(continuationLine(text));
    await this.flushOut();
  }

  /** Writes the buffered output; waits while the socket's buffer is full. */
  async flushOut(): Promise<void> {
    if (this.outBytes === 0 || this.closed) return;
    const out = this.out;
    this.out = [];
    this.outBytes = 0;
    if (this.deflate) {
      const d = this.deflate;
      for (const b of out) d.write(b);
      await new Promise<void>((resolve) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    } else if (out.length === 1) {
      this.socket.write(out[0]!);
    } else if (out.length > WRITEV_MAX_PIECES) {
      this.socket.write(Buffer.concat(out));
    } else {
      // A few pieces (a large listing and its tagged line): corked, they leave in one writev without first being
      // copied into one buffer. Many small pieces are cheaper joined.
      this.socket.cork();
      for (const b of out) this.socket.write(b);
      this.socket.uncork();
    }
    if (this.socket.writableLength > 1024 * 1024 && !this.socket.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  /** Announces pending mailbox changes (RFC 9051 §7.5.1, RFC 7162 §3.2.10 VANISHED). */
  async flushUpdates(allowExpunge: boolean): Promise<void> {
    const st = this.state;
    if (st.kind !== 'selected') return;
    if (st.view.deleted) {
      // As Dovecot does: a session cannot go on in a mailbox that another session deleted.
      await this.write(untaggedStatus('BYE', 'Selected mailbox was deleted, have to disconnect.'));
      this.close();
      return;
    }
    const r = st.view.flush(allowExpunge);
    if (r.expungedUids.length) {
      if (this.enabled.has('QRESYNC')) await this.untagged([atom('VANISHED'), atom(compressNumbers(r.expungedUids))]);
      else for (const seq of r.expungedSeqs) await this.write(Buffer.from(`* ${seq} EXPUNGE\r\n`));
    }
    if (r.exists !== null) await this.write(Buffer.from(`* ${r.exists} EXISTS\r\n`));
    // RFC 3501 §7.3.2: RECENT with EXISTS (IMAP4rev2 drops \Recent: not sent to IMAP4rev2 clients).
    if (r.recent !== null && !this.enabled.has('IMAP4REV2')) await this.write(Buffer.from(`* ${r.recent} RECENT\r\n`));
    const condstore = this.enabled.has('CONDSTORE');
    for (const f of r.flags) {
      const flags = !this.enabled.has('IMAP4REV2') && st.view.isRecent(f.uid) ? [...f.flags, '\\Recent'] : f.flags; // RFC 3501 §2.3.2
      const items: Array<[string, ImapValue]> = [['UID', f.uid], ['FLAGS', flagList(flags)]];
      if (condstore) items.push(['MODSEQ', [f.modseq]]);
      await this.write(fetchResponse(f.seq, items, this.encodeOpts));
    }
    if (this.idle) await this.flushOut();
  }

  resolveSet(sel: SelectedState, set: SequenceSet, uid: boolean): number[] {
    const view = sel.view;
    if (set.kind === 'saved') {
      // RFC 5182 §2.1: `$` names the saved messages that still exist.
      return (this.savedUids ?? []).filter((u) => view.seqOf(u) > 0);
    }
    if (uid) return resolveUids(set, view.uidList);
    // RFC 9051 §6.4: a sequence number beyond the mailbox is an error.
    if (exceedsSequenceNumbers(set, view.exists)) throw new ParseError('invalid-sequence-set', 'Invalid sequence number (beyond the last message)');
    const out: number[] = [];
    const list = view.uidList;
    for (const [a, b] of resolveSequenceNumbers(set, view.exists)) for (let s = a; s <= b; s++) out.push(list[s - 1]!);
    return out;
  }

  deselect(): void {
    if (this.state.kind !== 'selected') return;
    this.state.view.close();
    this.savedUids = null;
    this.state = { kind: 'authenticated', account: this.state.account };
  }

  // --- authentication, TLS, compression -------------------------------------------------------------------

  login(account: Account): CommandResult | null {
    if (!this.host.acquireUser(account.id)) return no('Too many connections for this user', 'LIMIT');
    this.userAccountId = account.id;
    this.host.loginSucceeded(this.remoteAddress, account);
    this.state = { kind: 'authenticated', account };
    this.resetTimer();
    return null;
  }

  async loginFailed(): Promise<void> {
    const ms = this.host.loginFailureDelay(this.remoteAddress);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  canStartTls(): boolean {
    return !this.info.secure && this.info.startTls !== undefined && !this.compressed;
  }

  async startTls(): Promise<void> {
    const start = this.info.startTls;
    if (!start) throw new Error('STARTTLS not available');
    // RFC 3207 §6 / RFC 9051 §6.2.1: nothing sent before the handshake may be taken as a command.
    this.socket.off('data', this.onSocketData);
    this.reader.discardBuffered();
    try {
      const secure = await start();
      this.socket = secure;
      this.attach(secure);
      this.resumeInput();
    } catch (e) {
      this.deps.log.debug({ err: e instanceof Error ? e.message : String(e) }, 'STARTTLS failed');
      this.cleanup();
    }
  }

  /** RFC 4978: from now on both directions are raw DEFLATE streams. */
  async startCompression(): Promise<void> {
    this.reader.discardBuffered();
    const inflate = zlib.createInflateRaw();
    const deflate = zlib.createDeflateRaw({ level: 6 });
    inflate.on('data', (c: Buffer) => this.feed(c));
    inflate.on('error', () => this.cleanup());
    deflate.on('data', (c: Buffer) => {
      if (!this.socket.destroyed) this.socket.write(c);
    });
    deflate.on('error', () => this.cleanup());
    this.inflate = inflate;
    this.deflate = deflate;
    this.compressed = true;
  }
}

/** RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH (and SORT/THREAD/COPY) by sequence. */
function expungeAllowed(cmd: ImapCommand): boolean {
  switch (cmd.kind) {
    case 'FETCH':
    case 'STORE':
    case 'SEARCH':
    case 'SORT':
    case 'THREAD':
    case 'COPY':
      return cmd.uid;
    default:
      return true;
  }
}

function notAllowedText(state: SessionState['kind'], kind: string): string {
  switch (state) {
    case 'not-authenticated':
      return `${kind} requires authentication`;
    case 'authenticated':
      return `${kind} requires a selected mailbox`;
    default:
      return `${kind} is not valid in this state`;
  }
}
