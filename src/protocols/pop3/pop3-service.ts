/**
 * The POP3 `ProtocolFactory` (protocols/service.ts): one service per POP3 listener (110 with STLS, 995 with
 * implicit TLS), each connection served by a `Pop3Session`.
 *
 * The maildrop locks (RFC 1939 §8: one session per maildrop across both ports) are shared by all POP3 listeners
 * of one server, kept per Store (a server has one store; keying by store keeps two servers in one process apart).
 * The failed-login throttle is the server's one (deps.throttle, shared with IMAP and SMTP AUTH). A successful
 * login grants POP-before-SMTP to the client IP when config relay.pop_before_smtp is on.
 *
 * Side effects: sockets only; the sessions read and expunge through the store.
 */
import type { Socket } from 'node:net';
import type { Config, Listener as ListenerConfig } from '../../config/index.js';
import { newConnectionId } from '../../lib/ids.js';
import type { ConnectionInfo } from '../../net/listen.js';
import type { Account, Store } from '../../store/types.js';
import type { ProtocolFactory, ProtocolService, ServiceDeps } from '../service.js';
import { MaildropLocks } from './maildrop-lock.js';
import { Pop3Session } from './session.js';

export interface Pop3FactoryOptions {
  /** Told of every successful POP3 login, besides the POP-before-SMTP grant. */
  onLogin?: (ip: string, account: Account, store: Store) => void;
}

export function createPop3Factory(opts: Pop3FactoryOptions = {}): ProtocolFactory {
  const locksByStore = new WeakMap<Store, MaildropLocks>();
  const locksFor = (store: Store): MaildropLocks => {
    let l = locksByStore.get(store);
    if (l === undefined) {
      l = new MaildropLocks();
      locksByStore.set(store, l);
    }
    return l;
  };

  return (listener: ListenerConfig, deps: ServiceDeps): ProtocolService => {
    const locks = locksFor(deps.store);
    let config: Config = deps.config;
    const onLogin = (ip: string, account: Account): void => {
      if (config.relay.pop_before_smtp) deps.popBeforeSmtp.grant(ip, config.relay.pop_before_smtp_minutes, account.address);
      opts.onLogin?.(ip, account, deps.store);
    };
    const sessions = new Set<Pop3Session>();
    let closing = false;

    return {
      handleConnection(socket: Socket, info: ConnectionInfo): void {
        if (closing) {
          socket.end('-ERR [SYS/TEMP] Server shutting down\r\n');
          return;
        }
        const session = new Pop3Session({
          socket,
          info,
          store: deps.store,
          directory: deps.directory,
          throttle: deps.throttle,
          locks,
          log: deps.log.child({ conn: newConnectionId(), client: info.remoteAddress }),
          allowPlaintextAuth: listener.allow_plaintext_auth,
          idleTimeoutMs: config.pop3.idle_timeout * 1000,
          onLogin,
        });
        sessions.add(session);
        void session.closed.then(() => sessions.delete(session));
        session.start();
      },

      refuseConnection(socket: Socket): void {
        // RFC 3206 §5: [SYS/TEMP], try again later.
        socket.end('-ERR [SYS/TEMP] Too many connections, try again later\r\n');
      },

      reload(next: Config): void {
        config = next; // the idle timeout applies to new sessions
      },

      async close(deadline: Date): Promise<void> {
        closing = true;
        for (const s of sessions) s.shutdown();
        const all = Promise.all([...sessions].map((s) => s.closed));
        const ms = Math.max(0, deadline.getTime() - Date.now());
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
        const outcome = await Promise.race([all.then(() => 'done' as const), late]);
        clearTimeout(timer);
        if (outcome === 'late') {
          for (const s of sessions) s.destroy();
          await all;
        }
      },
    };
  };
}

/** The factory registered for 'pop3' listeners. */
export const pop3Factory: ProtocolFactory = createPop3Factory();
