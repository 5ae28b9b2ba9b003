/**
 * The IMAP ProtocolService (protocols/service.ts): one per IMAP listener. Creates an ImapSession per
 * connection and keeps what sessions of all IMAP listeners share (per store): the per-user connection count (config
 * imap.max_connections_per_user) and failed-login throttling per client address (a growing delay, reset by a
 * successful login). Side effects: sessions and their sockets; `close` says BYE to every session.
 */

import type { Socket } from 'node:net';
import type { Config, Listener as ListenerConfig } from '../../../config/index.js';
import type { ConnectionInfo } from '../../../net/listen.js';
import type { Store } from '../../../store/types.js';
import type { ProtocolFactory, ProtocolService, ServiceDeps } from '../../service.js';
import { ImapSession, type SessionHost } from './session.js';

const FAILURE_WINDOW_MS = 15 * 60_000;
const MAX_FAILURE_DELAY_MS = 5_000;
const MAX_TRACKED_ADDRESSES = 10_000;

/** Shared by every IMAP listener of one server (143 and 993 count together), keyed by the store. */
interface SharedState {
  perUser: Map<number, number>;
  failures: Map<string, { count: number; last: number }>;
}
const shared = new WeakMap<Store, SharedState>();

function sharedFor(store: Store): SharedState {
  let s = shared.get(store);
  if (!s) {
    s = { perUser: new Map(), failures: new Map() };
    shared.set(store, s);
  }
  return s;
}

class ImapService implements ProtocolService, SessionHost {
  private readonly sessions = new Set<ImapSession>();
  private readonly perUser: Map<number, number>;
  private readonly failures: Map<string, { count: number; last: number }>;
  private config: Config;
  private closing = false;

  constructor(
    private readonly listener: ListenerConfig,
    private readonly deps: ServiceDeps,
  ) {
    this.config = deps.config;
    const s = sharedFor(deps.store);
    this.perUser = s.perUser;
    this.failures = s.failures;
  }

  handleConnection(socket: Socket, info: ConnectionInfo): void {
    if (this.closing) {
      socket.end('* BYE Server shutting down\r\n');
      return;
    }
    const session = new ImapSession(
      socket,
      info,
      this.listener,
      { store: this.deps.store, directory: this.deps.directory, config: this.config, log: this.deps.log.child({ client: info.remoteAddress }) },
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

  loginFailureDelay(remoteAddress: string): number {
    const now = Date.now();
    const f = this.failures.get(remoteAddress);
    const count = f && now - f.last < FAILURE_WINDOW_MS ? f.count + 1 : 1;
    if (this.failures.size >= MAX_TRACKED_ADDRESSES) this.failures.clear();
    this.failures.set(remoteAddress, { count, last: now });
    // 100 ms, 200 ms, 400 ms ... capped: slows guessing without hurting a typo.
    return Math.min(MAX_FAILURE_DELAY_MS, 100 * 2 ** (count - 1));
  }

  loginSucceeded(remoteAddress: string): void {
    this.failures.delete(remoteAddress);
  }

  sessionClosed(session: ImapSession): void {
    this.sessions.delete(session);
  }
}

export const createImapService: ProtocolFactory = (listener, deps) => new ImapService(listener, deps);
