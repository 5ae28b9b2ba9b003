/**
 * The outbound queue service with the SMTP transport built from the config: what cli/services.ts starts.
 * (queue/ may not import protocols/, so the transport is made here and handed to createQueueService.)
 *
 * Side effects: none until start().
 */

import type { Resolver } from '../../../dns/resolver.js';
import { createQueueService, type QueueService, type QueueServiceDeps } from '../../../queue/queue-service.js';
import type { Transport } from '../../../queue/transport.js';
import type { SmtpTimeouts } from './session.js';
import { createSmtpTransport } from './smtp-transport.js';

export interface OutboundQueueDeps extends Omit<QueueServiceDeps, 'transport'> {
  resolver: Resolver;
  /** Another transport (tests); default SMTP per config. */
  transport?: Transport;
  /** Shorter SMTP timeouts (tests). */
  timeouts?: Partial<SmtpTimeouts>;
}

export function createOutboundQueueService(deps: OutboundQueueDeps): QueueService {
  const transport =
    deps.transport ??
    createSmtpTransport(deps.config, deps.resolver, {
      ...(deps.timeouts ? { timeouts: deps.timeouts } : {}),
      ...(deps.log ? { log: deps.log.child({ svc: 'smtp-client' }) } : {}),
    });
  return createQueueService({ ...deps, transport });
}
