/**
 * How the composition (cli/services.ts) runs a protocol: for each configured listener it creates one
 * `ProtocolService` with the shared dependencies, binds the socket (net/listen) and hands every accepted
 * connection to `handleConnection`. Protocol modules implement `ProtocolFactory`.
 */
import type { Socket } from 'node:net';
import type { Config, Listener as ListenerConfig } from '../config/index.js';
import type { Directory } from '../directory/directory.js';
import type { LoginThrottle } from '../directory/login-throttle.js';
import type { PopBeforeSmtp } from '../directory/pop-before-smtp.js';
import type { Resolver } from '../dns/resolver.js';
import type { Logger } from '../lib/logger.js';
import type { ConnectionInfo } from '../net/listen.js';
import type { SecureContextProvider } from '../net/tls-context.js';
import type { SenderRewriter } from '../pipeline/srs-routing.js';
import type { Store } from '../store/types.js';

export interface ServiceDeps {
  config: Config;
  store: Store;
  directory: Directory;
  resolver: Resolver;
  /** Present when a certificate is configured (always, after first start). */
  tls: SecureContextProvider | undefined;
  log: Logger;
  /** The one failed-login throttle of the server: POP3, IMAP and SMTP AUTH count failures together. */
  throttle: LoginThrottle;
  /** POP-before-SMTP grants (config relay.pop_before_smtp): POP3/IMAP logins add, the SMTP relay check reads. */
  popBeforeSmtp: PopBeforeSmtp;
  /** Wakes the outbound queue after mail was queued (else it is picked up at the next poll). */
  wakeQueue?: () => void;
  /** SRS for copies that aliases forward to remote addresses (pipeline/srs-routing.ts); absent: no rewriting. */
  srs?: SenderRewriter;
}

export interface ProtocolService {
  /** Serves one accepted connection: a plain socket, or a TLSSocket on implicit-TLS listeners (info.secure). */
  handleConnection(socket: Socket, info: ConnectionInfo): void;
  /** The polite refusal for a connection over the listener's limits (e.g. SMTP 421), then end the socket. */
  refuseConnection?(socket: Socket, reason: 'total' | 'per-ip'): void;
  /** New config after SIGHUP: limits, policies, greeting. */
  reload(config: Config): void;
  /** Stops new transactions; resolves when sessions are done or the deadline passes (then they are cut). */
  close(deadline: Date): Promise<void>;
}

export type ProtocolFactory = (listener: ListenerConfig, deps: ServiceDeps) => ProtocolService;
