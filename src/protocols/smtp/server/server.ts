/**
 * The SMTP and LMTP services: one smtp-server `SMTPServer` per listener, fed with the sockets net/listen
 * accepted (limits, implicit TLS) through `SMTPServer.connect`. The server never listens itself.
 *
 * `buildSmtpService(listener, deps, kind)` is the one builder; `smtp` (MX: no AUTH, relay only for trusted
 * networks), `lmtp` (RFC 2033) and `submission` (RFC 6409: AUTH, sender checks, DKIM; submission.ts) are
 * option sets of it. Each phase lives in its own file: connect.ts, auth.ts, mail-from.ts, rcpt.ts, data.ts,
 * lmtp.ts; the TLS glue in tls.ts, the per-connection glue (greeting, enhanced codes, error limit, AUTH hidden
 * before TLS) in connection.ts.
 *
 * Invariants: the server writes no store or queue state itself (the pipeline does); an unexpected exception
 * in a handler becomes 451 4.3.0 for that command and never reaches the process; smtp-server's own DNS
 * (reverse lookup) is off: all lookups go through the configured resolver.
 * Side effects: socket I/O; store writes through the pipeline.
 */

import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { installGreetPause, setGreetPause } from './greet-pause.js';
import { AbuseGuard } from '../../../antispam/abuse-guard.js';
import { DnsblCheck } from '../../../antispam/dnsbl.js';
import { GreylistCheck } from '../../../antispam/greylist.js';
import { PtrCheck } from '../../../antispam/ptr-check.js';
import type { Config, Listener as ListenerConfig } from '../../../config/index.js';
import { forwardConfirmedReverse } from '../../../dns/iprev.js';
import { newConnectionId } from '../../../lib/ids.js';
import type { ConnectionInfo } from '../../../net/listen.js';
import { NetworkList } from '../../../pipeline/relay.js';
import type { Check } from '../../../pipeline/types.js';
import type { ProtocolFactory, ProtocolService, ServiceDeps } from '../../service.js';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { attachConnection, closeWith421 } from './connection.js';
import { buildSettings, type SessionState, type SmtpContext, type SmtpKind, type SMTPConnection } from './context.js';
import { receiveMessage, smtpOutcomeError } from './data.js';
import { lmtpReplies } from './lmtp.js';
import { handleMailFrom } from './mail-from.js';
import { handleRcptTo } from './rcpt.js';
import { asMailError, toSmtpError } from './replies.js';
import { LiveSecureContexts, tlsServerOptions } from './tls.js';

/** How long a refused or shut-down client may keep its side open after our 421. */
const LINGER_MS = 5000;

function checksFor(listener: ListenerConfig, deps: ServiceDeps): Check[] {
  const checks: Check[] = [];
  const as = deps.config.antispam;
  const trusted = new NetworkList(deps.config.relay.trusted_networks);
  // Bans and rate limits first (antispam/abuse-guard.ts): a banned or flooding client costs no DNS lookup.
  if (listener.protocol === 'smtp' || listener.protocol === 'submission') {
    checks.push(
      new AbuseGuard({
        connectionsPerMinute: as.max_connections_per_minute,
        messagesPerMinute: as.max_messages_per_minute,
        userMessagesPerHour: as.max_user_messages_per_hour,
        userRecipientsPerHour: as.max_user_recipients_per_hour,
        maxUnknownRecipients: as.max_unknown_recipients,
        banMs: as.ban_time * 1000,
        store: deps.store,
        skip: (ip) => trusted.has(ip),
      }),
    );
  }
  if (listener.protocol === 'smtp' && listener.ptr_check !== 'off') {
    checks.push(
      new PtrCheck({
        mode: listener.ptr_check,
        action: listener.ptr_action,
        authservId: deps.config.server.hostname,
        lookup: (ip) => forwardConfirmedReverse(deps.resolver, ip),
      }),
    );
  }
  // DNS block/allowlists of the client (antispam/dnsbl.ts); trusted networks are not looked up.
  let dnsbl: DnsblCheck | null = null;
  if (listener.protocol === 'smtp' && (as.dnsbl_zones.length > 0 || as.dnswl_zones.length > 0)) {
    dnsbl = new DnsblCheck({
      blocklists: as.dnsbl_zones,
      allowlists: as.dnswl_zones,
      action: as.dnsbl_action,
      threshold: as.dnsbl_threshold,
      cacheTtlMs: as.dnsbl_cache_ttl * 1000,
      resolve4: (name) => deps.resolver.resolve4(name),
      skip: (ip) => trusted.has(ip),
    });
    checks.push(dnsbl);
  }
  // Greylisting of the (network, sender, recipient) triplet (antispam/greylist.ts), state in the store.
  if (listener.protocol === 'smtp' && as.greylisting) {
    const allowlist = dnsbl;
    checks.push(
      new GreylistCheck({
        delayMs: as.greylist_delay * 1000,
        retryWindowMs: as.greylist_retry_window * 1000,
        passTtlMs: as.greylist_pass_ttl * 1000,
        store: deps.store,
        skip: (ip) => trusted.has(ip),
        ...(allowlist === null ? {} : { allowlisted: (client) => allowlist.allowlisted(client) }),
      }),
    );
  }
  return checks;
}

/** The smtp-server options that follow the config (also applied on reload). */
function limitOptions(ctx: SmtpContext): Partial<SMTPServerOptions> {
  const s = ctx.settings;
  return {
    name: s.hostname,
    size: s.maxMessageSize,
    maxRecipients: s.maxRecipients,
    socketTimeout: s.commandTimeoutMs,
    // smtp-server measures a command line without its CRLF.
    maxCommandLength: s.maxLineLength - 2,
  };
}

function serverOptions(ctx: SmtpContext, handlers: Partial<SMTPServerOptions>): SMTPServerOptions {
  const starttls = ctx.listener.tls === 'starttls' && ctx.deps.tls !== undefined;
  // Submission offers AUTH (auth.ts) when a password can travel protected: on TLS, or where the listener
  // explicitly allows plaintext. A submission listener with neither has no AUTH at all (and takes no mail).
  const auth = ctx.kind === 'submission' && (starttls || ctx.listener.tls === 'implicit' || ctx.listener.allow_plaintext_auth);
  const disabled = ['XCLIENT', 'XFORWARD', 'WIZ', 'SHELL', 'KILL'];
  if (!auth) disabled.push('AUTH');
  if (!starttls) disabled.push('STARTTLS');
  return {
    authMethods: auth ? ['PLAIN', 'LOGIN'] : [],
    allowInsecureAuth: ctx.listener.allow_plaintext_auth,
    ...limitOptions(ctx),
    heloResponse: '%s Hello %s',
    lmtp: ctx.kind === 'lmtp',
    secure: ctx.listener.tls === 'implicit',
    hideSize: false,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: false,
    hideREQUIRETLS: true,
    hideSTARTTLS: !starttls,
    disabledCommands: disabled,
    authOptional: true,
    maxAllowedUnauthenticatedCommands: false,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: LINGER_MS,
    ...tlsServerOptions(ctx.deps.tls),
    ...handlers,
  };
}

/** Calls an async phase handler and turns its result into smtp-server's callback (451 4.3.0 on surprises). */
function settle<T>(state: SessionState | undefined, run: () => Promise<T>, cb: (err?: Error | null) => void, onOk?: (v: T) => void): void {
  run().then(
    (v) => {
      onOk?.(v);
      cb();
    },
    (e: unknown) => {
      const err = asMailError(e);
      if (err.code === 451 && err.enhanced === '4.3.0') state?.log.error({ err: err.cause ?? err }, 'unexpected error in session');
      cb(toSmtpError(err));
    },
  );
}

function findConnection(server: SMTPServer, id: string): SMTPConnection | null {
  for (const c of server.connections) if (c.id === id) return c;
  return null;
}

export function buildSmtpService(listener: ListenerConfig, deps: ServiceDeps, kind: SmtpKind): ProtocolService {
  const ctx: SmtpContext = {
    kind,
    listener,
    deps,
    log: deps.log,
    checks: checksFor(listener, deps),
    sessions: new Map(),
    settings: buildSettings(kind, deps.config, deps),
    closing: false,
  };
  let closed: (() => void) | null = null;
  const stateOf = (id: string): SessionState | undefined => ctx.sessions.get(id);
  const missing = (): Error => toSmtpError(asMailError(new Error('session state missing')));

  installGreetPause();
  const server = new SMTPServer(
    serverOptions(ctx, {
      onConnect(session, cb) {
        const state = stateOf(session.id);
        if (!state) return cb(missing());
        settle(state, () => handleConnect(ctx, state), cb);
      },
      onAuth(auth, session, cb) {
        const state = stateOf(session.id);
        if (!state) return cb(missing());
        handleAuth(ctx, state, auth, session).then(
          (account) => {
            state.auth = { account, login: (auth.username ?? '').trim() };
            state.client.authUser = account.address;
            cb(null, { user: account.address });
          },
          (e: unknown) => {
            const err = asMailError(e);
            if (err.code === 451 && err.enhanced === '4.3.0') state.log.error({ err: err.cause ?? err }, 'unexpected error in AUTH');
            cb(toSmtpError(err));
          },
        );
      },
      onMailFrom(address, session, cb) {
        const state = stateOf(session.id);
        if (!state) return cb(missing());
        settle(state, () => handleMailFrom(ctx, state, address, session), cb);
      },
      onRcptTo(address, session, cb) {
        const state = stateOf(session.id);
        if (!state) return cb(missing());
        settle(state, () => handleRcptTo(ctx, state, address, session), cb, (rcpt) => state.rcpts.set(address, rcpt));
      },
      onData(stream, session, cb) {
        const state = stateOf(session.id);
        if (!state) {
          stream.resume();
          return cb(missing());
        }
        state.inData = true;
        const reply = (err: Error | null, message?: string | ReturnType<typeof lmtpReplies>): void => {
          state.inData = false;
          state.replyingToData = true;
          try {
            cb(err, message);
          } finally {
            state.replyingToData = false;
          }
          if (ctx.closing && state.conn) closeWith421(state.conn, `4.3.2 ${ctx.settings.hostname} Service shutting down`);
        };
        const onTimeout = (): void => {
          state.log.info('DATA timeout');
          if (state.conn) closeWith421(state.conn, `4.4.2 ${ctx.settings.hostname} Error: timeout exceeded`);
        };
        receiveMessage(ctx, state, stream, session, onTimeout).then(
          (r) => {
            if (r.kind === 'aborted') return reply(toSmtpError(asMailError(new Error('aborted'))));
            if (r.kind === 'error') return reply(toSmtpError(r.error));
            if (kind === 'lmtp') return reply(null, lmtpReplies(r.id, r.outcomes));
            const error = smtpOutcomeError(r.outcomes);
            return error === null ? reply(null, `Ok: queued as ${r.id}`) : reply(toSmtpError(error));
          },
          (e: unknown) => {
            state.log.error({ err: e }, 'unexpected error in DATA');
            reply(toSmtpError(asMailError(e)));
          },
        );
      },
      onClose(session) {
        ctx.sessions.delete(session.id);
        if (ctx.closing && ctx.sessions.size === 0) closed?.();
      },
    }),
  );
  setGreetPause(server, deps.config.smtp.greet_pause_ms);
  if (deps.tls) server.secureContext = new LiveSecureContexts(deps.tls);
  // Connection errors (resets, failed TLS handshakes) arrive here; without a listener they would throw.
  server.on('error', (err: Error & { code?: string }) => ctx.log.debug({ err: err.message, code: err.code }, 'smtp connection error'));

  return {
    handleConnection(socket: Socket, info: ConnectionInfo): void {
      if (ctx.closing) {
        socket.end(`421 4.3.2 ${ctx.settings.hostname} Service shutting down\r\n`);
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
        return;
      }
      const id = newConnectionId();
      const state: SessionState = {
        id,
        client: { ip: info.remoteAddress, helo: '' },
        log: ctx.log.child({ conn: id, client: info.remoteAddress || 'unix' }),
        conn: null,
        connectTags: [],
        tags: [],
        sender: '',
        rcpts: new WeakMap(),
        auth: null,
        owned: new Set(),
        errors: 0,
        inData: false,
        replyingToData: false,
      };
      ctx.sessions.set(id, state);
      try {
        server.connect(socket, {
          id,
          ...(info.remoteAddress ? { remoteAddress: info.remoteAddress, remotePort: info.remotePort } : {}),
          ...(info.localAddress ? { localAddress: info.localAddress, localPort: info.localPort } : {}),
        });
        state.conn = findConnection(server, id);
        if (state.conn) attachConnection(state.conn, state, ctx);
      } catch (err) {
        ctx.sessions.delete(id);
        ctx.log.error({ err }, 'could not start an SMTP session');
        socket.destroy();
      }
    },

    refuseConnection(socket: Socket, reason: 'total' | 'per-ip'): void {
      ctx.log.info({ client: socket.remoteAddress, reason }, 'connection refused: too many connections');
      socket.end(`421 4.7.0 ${ctx.settings.hostname} too many connections\r\n`);
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    },

    reload(config: Config): void {
      // SIGHUP: the antispam policy (data.ts reads deps.config) and the checks follow the new file. The checks
      // are rebuilt only when their settings changed, since that resets the rate counters and DNSBL cache.
      const checksKey = (c: Config): string => JSON.stringify([c.antispam, c.relay.trusted_networks, c.server.hostname]);
      const rebuild = checksKey(config) !== checksKey(deps.config);
      deps.config = config;
      if (rebuild) ctx.checks.splice(0, ctx.checks.length, ...checksFor(listener, deps));
      ctx.settings = buildSettings(kind, config, deps);
      Object.assign(server.options, limitOptions(ctx));
      setGreetPause(server, config.smtp.greet_pause_ms);
    },

    close(deadline: Date): Promise<void> {
      ctx.closing = true;
      // Idle sessions go now; a session in a transaction finishes it (data.ts/connection glue end it after the reply).
      for (const state of ctx.sessions.values()) {
        const conn = state.conn;
        if (conn && !state.inData && !conn.session.envelope.mailFrom) closeWith421(conn, `4.3.2 ${ctx.settings.hostname} Service shutting down`);
      }
      if (ctx.sessions.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const state of ctx.sessions.values()) {
            if (state.conn) closeWith421(state.conn, `4.3.2 ${ctx.settings.hostname} Service shutting down`);
            state.conn?._socket.destroy();
          }
          resolve();
        }, Math.max(0, deadline.getTime() - Date.now()));
        timer.unref();
        closed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

export const createSmtpService: ProtocolFactory = (listener, deps) => buildSmtpService(listener, deps, 'smtp');
export const createLmtpService: ProtocolFactory = (listener, deps) => buildSmtpService(listener, deps, 'lmtp');
