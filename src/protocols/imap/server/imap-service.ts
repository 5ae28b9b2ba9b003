/**
 * The IMAP ProtocolService (protocols/service.ts): one per IMAP listener. Creates an ImapSession per
 * connection and keeps what sessions of all IMAP listeners share (per store): the per-user connection count (config
 * imap.max_connections_per_user). Failed logins go through the server's one throttle (deps.throttle, shared
 * with POP3 and SMTP AUTH: a delay before the password check, a ban after many failures from one IP). A
 * successful login grants POP-before-SMTP to the client IP when config relay.pop_before_smtp is on.
 * Side effects: sessions and their sockets; `close` says BYE to every session.
 */

import type { Socket } from 'node:net';
import type { Config, Listener as ListenerConfig } from '../../../config/index.js';
import { ThrottledDirectory } from '../../../directory/throttled-directory.js';
import type { ConnectionInfo } from '../../../net/listen.js';
import type { Account, Store } from '../../../store/types.js';
import type { ProtocolFactory, ProtocolService, ServiceDeps } from '../../service.js';
import { ImapSession, type SessionHost } from './session.js';

/** Shared by every IMAP listener of one server (143 and 993 count together), keyed by the store. */
interface SharedState {
  perUser: Map<number, number>;
}
const shared = new WeakMap<Store, SharedState>();

function sharedFor(store: Store): SharedState {
  let s = shared.get(store);
  if (!s) {
    s = { perUser: new Map() };
    shared.set(store, s);
  }
  return s;
}

class ImapService implements ProtocolService, SessionHost {
  private readonly sessions = new Set<ImapSession>();
  private readonly perUser: Map<number, number>;
  private readonly directory: ThrottledDirectory;
  private config: Config;
  private closing = false;

  constructor(
    private readonly listener: ListenerConfig,
    private readonly deps: ServiceDeps,
  ) {
    this.config = deps.config;
    const s = sharedFor(deps.store);
    this.perUser = s.perUser;
    this.directory = new ThrottledDirectory(deps.directory, deps.throttle);
  }

  handleConnection(socket: Socket, info: ConnectionInfo): void {
    if (this.closing) {
      socket.end('* BYE Server shutting down\r\n');
      return;
    }
    // Responses go out in several writes (untagged data, then the tagged line): without TCP_NODELAY, Nagle's
    // algorithm holds the last small segment until the client's delayed ACK (~40 ms) on some commands.
    socket.setNoDelay(true);
    const session = new ImapSession(
      socket,
      info,
      this.listener,
      { store: this.deps.store, directory: this.directory, config: this.config, log: this.deps.log.child({ client: info.remoteAddress }) },
      this,
    );
    this.sessions.add(session);
    session.start();
  }

  refuseConnection(socket: Socket): void {
    socket.end('* BYE Too many connections\r\n');
  }

  reload(config: Config): void {
    this.config = config;
  }

  async close(deadline: Date): Promise<void> {
    this.closing = true;
    for (const s of this.sessions) s.shutdown();
    const until = deadline.getTime();
    while (this.sessions.size && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  // --- SessionHost ---

  acquireUser(accountId: number): boolean {
    const n = this.perUser.get(accountId) ?? 0;
    if (n >= this.config.imap.max_connections_per_user) return false;
    this.perUser.set(accountId, n + 1);
    return true;
  }

  releaseUser(accountId: number): void {
    const n = (this.perUser.get(accountId) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(accountId);
    else this.perUser.set(accountId, n);
  }

  loginFailureDelay(): number {
    // The throttle already waited before the password check (ThrottledDirectory).
    return 0;
  }

  loginSucceeded(remoteAddress: string, account: Account): void {
    if (this.config.relay.pop_before_smtp) this.deps.popBeforeSmtp.grant(remoteAddress, this.config.relay.pop_before_smtp_minutes, account.address);
  }

  sessionClosed(session: ImapSession): void {
    this.sessions.delete(session);
  }
}

export const createImapService: ProtocolFactory = (listener, deps) => new ImapService(listener, deps);
