/**
 * Binds and runs the network services of a config: one net/ listener per `[[listeners]]` entry, each backed
 * by the protocol service for its protocol. Connections accepted before `start(store)` wait (paused) so that,
 * as root, no client byte is read before privileges are dropped.
 *
 * Ports below 1024 are served at port + 10000 when not running as root (the quick start's non-root mode).
 */
import type { Socket } from 'node:net';
import type { Config, Listener as ListenerConfig } from '../config/index.js';
import { createDirectory } from '../directory/from-config.js';
import { LoginThrottle, type LoginThrottleOptions } from '../directory/login-throttle.js';
import { PopBeforeSmtp } from '../directory/pop-before-smtp.js';
import { GrantsFileWriter, grantsFilePath, loadGrants } from '../directory/pop-before-smtp-file.js';
import { NodeResolver } from '../dns/node-resolver.js';
import type { Logger } from '../lib/logger.js';
import { isRoot } from '../lib/privileges.js';
import { listen, type ConnectionInfo, type Listener } from '../net/listen.js';
import { createTlsContextProvider, type SecureContextProvider } from '../net/tls-context.js';
import type { ProtocolFactory, ProtocolService, ServiceDeps } from '../protocols/service.js';
import { protocolFactories } from '../protocols/registry.js';
import { createOutboundQueueService } from '../protocols/smtp/client/outbound-service.js';
import type { QueueService } from '../queue/queue-service.js';
import { LocalDelivery } from '../pipeline/local-delivery.js';
import { SrsDirectory, SrsSenderRewriter } from '../pipeline/srs-routing.js';
import { srsProvider } from '../antispam/srs-config.js';
import type { Store } from '../store/types.js';
import type { ListenerInfo, Services } from './runtime.js';

/** The failed-login policy of a config ([antispam] login_*). */
export function loginThrottleOptions(config: Config): LoginThrottleOptions {
  const a = config.antispam;
  return {
    freeFailures: a.login_free_failures,
    baseDelayMs: a.login_failure_delay,
    maxDelayMs: a.login_failure_delay_max,
    banFailures: a.login_ban_failures,
    banWindowMs: a.login_ban_window * 1000,
    banDurationMs: a.login_ban_time * 1000,
  };
}

export function effectivePort(port: number, root: boolean): number {
  return !root && port > 0 && port < 1024 ? port + 10000 : port;
}

interface Bound {
  config: ListenerConfig;
  listener: Listener;
  factory: ProtocolFactory;
  service: ProtocolService | null;
}

export async function bindServices(
  initialConfig: Config,
  log: Logger,
  factories: Partial<Record<ListenerConfig['protocol'], ProtocolFactory>> = protocolFactories,
): Promise<Services> {
  let config = initialConfig;
  const root = isRoot();
  const needsTls = config.listeners.some((l) => l.tls !== 'none');
  const tls: SecureContextProvider | undefined = needsTls
    ? await createTlsContextProvider({ certPath: config.tls.cert, keyPath: config.tls.key, minVersion: config.tls.min_version })
    : undefined;

  const bound: Bound[] = [];
  const unavailable = new Set<string>();
  let started = false;
  let queue: QueueService | null = null;
  let closeDirectory: (() => Promise<void>) | null = null;
  let grantsWriter: GrantsFileWriter | null = null;
  let closeThrottle: (() => void) | null = null;
  let reconfigureThrottle: ((next: Config) => void) | null = null;
  let reloadSrs: (() => void) | null = null;
  const pending: Array<() => void> = [];

  const closeAll = async (): Promise<void> => {
    await Promise.all(bound.map((b) => b.listener.close(0)));
  };

  try {
    for (const [i, l] of config.listeners.entries()) {
      const factory = factories[l.protocol];
      if (!factory) {
        unavailable.add(l.protocol);
        continue;
      }
      const entry: Partial<Bound> = { config: l, factory, service: null };
      const dispatch = (socket: Socket, info: ConnectionInfo): void => {
        const run = (): void => {
          if (entry.service) entry.service.handleConnection(socket, info);
          else socket.destroy();
        };
        if (started) run();
        else {
          socket.pause();
          pending.push(run);
        }
      };
      const limits = l.protocol === 'smtp' || l.protocol === 'submission' || l.protocol === 'lmtp'
        ? { maxConnections: config.smtp.max_connections, maxPerIp: config.smtp.max_connections_per_ip }
        : {};
      entry.listener = await listen({ address: l.address, port: effectivePort(l.port, root), tls: l.tls }, dispatch, {
        ...limits,
        tls,
        configKey: `listeners[${i}]`,
        onLimit: (socket, reason) => {
          if (entry.service?.refuseConnection) entry.service.refuseConnection(socket, reason);
          else socket.destroy();
        },
        onError: (err, info) => log.debug({ err: err.message, client: info.remoteAddress, listener: l.protocol }, 'connection error'),
      });
      bound.push(entry as Bound);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }

  const listeners: ListenerInfo[] = bound.map((b) => ({
    protocol: b.config.protocol,
    address: b.config.address,
    port: b.listener.port,
    tls: b.config.tls,
  }));

  return {
    listeners,
    unavailable: [...unavailable],
    start(store: Store) {
      const configured = createDirectory(store, () => config, log.child({ svc: 'directory' })); // follows reloads
      closeDirectory = () => configured.close();
      // SRS (antispam/srs.ts, pipeline/srs-routing.ts): bounces to our SRS addresses resolve to the original
      // sender, forwarded copies get an SRS sender. Follows reloads; the secret file is made on first start.
      const srs = srsProvider(() => config, (err) => log.error({ err: err.message }, 'SRS is off: no usable secret'));
      srs.get();
      reloadSrs = () => srs.reload();
      const directory = new SrsDirectory(configured, () => srs.get());
      const srsRewriter = new SrsSenderRewriter(() => srs.get(), (d) => configured.isLocalDomain(d));
      // One throttle for every login protocol (issue 6 item 4): failures over POP3 slow down IMAP and AUTH too.
      // Its bans go to the store (with their reason), so `pochta ban list|rm` see and lift them (issue 7 item 4).
      const throttle = new LoginThrottle(loginThrottleOptions(config), {
        bans: store,
        onError: (err) => log.warn({ err }, 'could not read or write the login bans'),
      });
      closeThrottle = () => throttle.close();
      reconfigureThrottle = (next) => throttle.configure(loginThrottleOptions(next));
      // POP-before-SMTP grants live in memory and are mirrored to <data_dir>/pop-before-smtp.json for the CLI.
      const grantsPath = grantsFilePath(config.server.data_dir);
      const writer = new GrantsFileWriter(grantsPath, (err) => log.warn({ err }, 'could not write the POP-before-SMTP grants'));
      grantsWriter = writer;
      const popBeforeSmtp: PopBeforeSmtp = new PopBeforeSmtp({ onChange: () => writer.save(() => popBeforeSmtp.list()) });
      if (config.relay.pop_before_smtp) {
        // Grants survive a restart until they end.
        loadGrants(grantsPath)
          .then((gs) => {
            for (const g of gs) popBeforeSmtp.grant(g.ip, (g.until.getTime() - Date.now()) / 60_000, g.login);
          })
          .catch((err: unknown) => log.warn({ err }, 'could not read the POP-before-SMTP grants'));
      }
      const resolver = new NodeResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, tries: config.dns.tries });
      // The outbound queue: remote recipients, bounces and delay reports (issue 4).
      const q = createOutboundQueueService({
        store,
        resolver,
        config,
        directory,
        log: log.child({ svc: 'queue' }),
        localDelivery: new LocalDelivery(store, { overQuota: config.smtp.over_quota }),
      });
      queue = q;
      q.start().catch((err: unknown) => log.error({ err }, 'the outbound queue failed to start'));
      for (const b of bound) {
        const deps: ServiceDeps = {
          config,
          store,
          directory,
          resolver,
          tls,
          log: log.child({ svc: b.config.protocol, port: b.listener.port }),
          throttle,
          popBeforeSmtp,
          wakeQueue: () => q.wake(),
          srs: srsRewriter,
        };
        b.service = b.factory(b.config, deps);
      }
      started = true;
      for (const run of pending.splice(0)) run();
    },
    async reload(next: Config) {
      if (tls) await tls.reload();
      const same = JSON.stringify(next.listeners) === JSON.stringify(config.listeners);
      if (!same) log.warn('listener changes take effect at the next restart');
      config = next;
      reconfigureThrottle?.(next);
      reloadSrs?.();
      for (const b of bound) {
        if (b.config.protocol === 'smtp' || b.config.protocol === 'submission' || b.config.protocol === 'lmtp') {
          b.listener.setLimits({ maxConnections: next.smtp.max_connections, maxPerIp: next.smtp.max_connections_per_ip });
        }
        b.service?.reload(next);
      }
    },
    async close(deadline: Date) {
      // Stop accepting first, then let each service finish its sessions until the deadline.
      const closing = bound.map((b) => b.listener.close(Math.max(0, deadline.getTime() - Date.now())));
      await Promise.all(bound.map((b) => b.service?.close(deadline)));
      await Promise.all(closing);
      await queue?.stop(deadline);
      await grantsWriter?.flush();
      await closeDirectory?.(); // LDAP connections
      closeThrottle?.();
    },
  };
}
