/**
 * The queue as a service of the server process: the QueueManager wired to the store, a Transport, the DSN
 * delivery (local INBOX or queue) and the [queue] config. cli/services.ts starts it next to the listeners
 * and hands `wake` to the pipeline so that new remote mail goes out at once.
 *
 * The SMTP transport lives above this layer (protocols/smtp/client), so it is passed in; the
 * protocols/smtp/client/outbound-service.ts factory builds it from the config.
 *
 * Side effects: see queue-manager.ts.
 */

import type { Config } from '../config/index.js';
import type { Directory } from '../directory/directory.js';
import type { Logger } from '../lib/logger.js';
import type { Target } from '../pipeline/types.js';
import type { Store } from '../store/types.js';
import { createDsnDelivery } from './dsn-delivery.js';
import { QueueManager } from './queue-manager.js';
import { retryPolicyFromConfig } from './retry-policy.js';
import type { Transport } from './transport.js';

export interface QueueService {
  /** Requeues entries left 'active' by a crash, then starts the scheduler. */
  start(): Promise<void>;
  /** Lets the scheduler run now: call after enqueueing (the pipeline's queue target commit). */
  wake(): void;
  /** Stops claiming; waits for deliveries in flight until the deadline; closes pooled connections. */
  stop(deadline: Date): Promise<void>;
  readonly manager: QueueManager;
}

export interface QueueServiceDeps {
  store: Store;
  config: Pick<Config, 'server' | 'queue'>;
  transport: Transport;
  /** The local delivery target (pipeline/local-delivery.ts), for DSNs to local senders. */
  localDelivery: Target;
  /** To recognise local senders behind aliases and plus addresses; without it, only exact accounts. */
  directory?: Pick<Directory, 'resolveRecipient'>;
  log?: Logger;
  /** Store polling interval (default 5000 ms). */
  pollIntervalMs?: number;
  now?: () => Date;
}

export function createQueueService(deps: QueueServiceDeps): QueueService {
  let manager: QueueManager | null = null;
  const dsn = createDsnDelivery({
    store: deps.store,
    localDelivery: deps.localDelivery,
    ...(deps.directory ? { directory: deps.directory } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    onEnqueued: () => manager?.wake(),
  });
  const q = deps.config.queue;
  manager = new QueueManager({
    store: deps.store,
    transport: deps.transport,
    dsn,
    policy: retryPolicyFromConfig(q),
    hostname: deps.config.server.hostname,
    concurrency: q.concurrency,
    concurrencyPerDomain: q.concurrency_per_domain,
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const m = manager;
  return {
    manager: m,
    start: () => m.start(),
    wake: () => m.wake(),
    stop: (deadline) => m.stop(deadline),
  };
}
