/**
 * What the phase handlers of one SMTP/LMTP listener share: the service dependencies, the settings derived
 * from the current config (rebuilt on SIGHUP), the checks, the pipeline, and the state of each session.
 *
 * The kinds: `smtp` (MX, port 25: relay only for trusted networks), `lmtp` (RFC 2033: final delivery only,
 * one reply per recipient) and `submission` (RFC 6409, 587/465: AUTH required, sender checks, DKIM signing).
 * A kind is a set of options of the one server builder (server.ts), not a separate server.
 *
 * Side effects: none here (plain data and constructors).
 */

import type { SMTPServer, SMTPServerAddress } from 'smtp-server';
import type { Config, Listener as ListenerConfig } from '../../../config/index.js';
import type { Logger } from '../../../lib/logger.js';
import { LocalDelivery } from '../../../pipeline/local-delivery.js';
import type { PipelineDeps } from '../../../pipeline/deliver.js';
import { QueueTarget } from '../../../pipeline/queue-target.js';
import { NetworkList } from '../../../pipeline/relay.js';
import type { Check, ClientInfo, EnvelopeRecipient } from '../../../pipeline/types.js';
import type { Account } from '../../../store/types.js';
import type { ServiceDeps } from '../../service.js';

/** smtp-server's per-connection object (its class is not exported from the package entry). */
export type SMTPConnection = SMTPServer['connections'] extends Set<infer C> ? C : never;

export type SmtpKind = 'smtp' | 'lmtp' | 'submission';

export interface SmtpSettings {
  hostname: string;
  /** Text after "220 " in the greeting. */
  greeting: string;
  maxMessageSize: number;
  maxRecipients: number;
  commandTimeoutMs: number;
  dataTimeoutMs: number;
  maxLineLength: number;
  maxErrors: number;
  plusSeparator: string;
  overQuota: 'temporary' | 'permanent';
  trusted: NetworkList;
  /** Config relay.pop_before_smtp: a recent POP3/IMAP login from the client IP allows relay (deps.popBeforeSmtp). */
  popBeforeSmtp: boolean;
  pipeline: PipelineDeps;
}

/** Per-connection state kept beside smtp-server's session (keyed by session id). */
export interface SessionState {
  id: string;
  client: ClientInfo;
  log: Logger;
  /** smtp-server's connection, for replies outside a command (timeouts, shutdown). */
  conn: SMTPConnection | null;
  /** Header lines from `tag` verdicts of the connect phase (every transaction) and of this transaction. */
  connectTags: string[];
  tags: string[];
  /** Reverse-path of the current transaction in wire form ('' for `<>`). */
  sender: string;
  /** The envelope recipient each accepted RCPT became (postmaster mapped, DSN parameters). */
  rcpts: WeakMap<SMTPServerAddress, EnvelopeRecipient>;
  /** The account a successful AUTH (submission) logged in as, with the login it gave; null before. */
  auth: { account: Account; login: string } | null;
  /** Lookup keys of the addresses the authenticated user may send as, read at MAIL FROM (sender-check.ts). */
  owned: ReadonlySet<string>;
  /** Failed commands so far (config max_errors). */
  errors: number;
  /** A message is being received or delivered (DATA in progress). */
  inData: boolean;
  /** Replies to DATA are per message, not per command: they do not count as command errors. */
  replyingToData: boolean;
}

export interface SmtpContext {
  readonly kind: SmtpKind;
  readonly listener: ListenerConfig;
  readonly deps: ServiceDeps;
  readonly log: Logger;
  readonly checks: Check[];
  readonly sessions: Map<string, SessionState>;
  settings: SmtpSettings;
  closing: boolean;
}

export function buildSettings(kind: SmtpKind, config: Config, deps: ServiceDeps): SmtpSettings {
  const s = config.smtp;
  const hostname = config.server.hostname;
  const greeting = kind === 'lmtp' ? `${hostname} LMTP pochta` : (s.greeting ?? `${hostname} ESMTP pochta`);
  return {
    hostname,
    greeting,
    maxMessageSize: s.max_message_size,
    maxRecipients: s.max_recipients,
    commandTimeoutMs: s.command_timeout * 1000,
    dataTimeoutMs: s.data_timeout * 1000,
    maxLineLength: s.max_line_length,
    maxErrors: s.max_errors,
    plusSeparator: s.plus_separator,
    overQuota: s.over_quota,
    trusted: new NetworkList(config.relay.trusted_networks),
    popBeforeSmtp: config.relay.pop_before_smtp,
    pipeline: {
      directory: deps.directory,
      blobs: deps.store.blobs,
      local: new LocalDelivery(deps.store, { overQuota: s.over_quota }),
      queue: new QueueTarget(deps.store, deps.wakeQueue),
      plusSeparator: s.plus_separator,
      maxReceived: s.max_received_headers,
      ...(deps.srs === undefined ? {} : { srs: deps.srs }),
    },
  };
}
