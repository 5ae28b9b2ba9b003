/**
 * TCP, TLS and unix-socket listeners shared by every protocol (SMTP, submission, LMTP, IMAP, POP3).
 *
 * `listen(spec, onConnection, opts)` binds and resolves once listening; a bind failure rejects with a one-line
 * UserError naming the address, port and the fix (./bind-error.ts). Modes: 'none' and 'starttls' hand the plain
 * socket to the protocol ('starttls' also gives `info.startTls()`, which upgrades with the listener's certificate);
 * 'implicit' (RFC 8314 §3.3) does the handshake first and hands over the TLSSocket.
 *
 * Invariants: connections over `maxConnections` or `maxPerIp` go to `onLimit` (default: closed at once) and take no
 * slot; every accepted connection holds one slot until its socket closes. Each socket gets an 'error' listener so
 * a reset connection never crashes the process (errors go to `opts.onError`). The TLS context is read per
 * connection, so a certificate reload applies to the next handshake. 'unix:/path' listeners replace a stale socket
 * file (one nobody answers on), refuse to replace anything else, and are made mode 0660.
 * Side effects: binds a port or creates a socket file; `close()` destroys open connections after the grace period.
 */
import net from 'node:net';
import type tls from 'node:tls';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { UserError } from '../lib/errors.js';
import { bindError } from './bind-error.js';
import { ConnectionLimiter, type ConnectionLimits, type LimitReason } from './connection-limits.js';
import { startTls } from './start-tls.js';
import type { SecureContextProvider } from './tls-context.js';

export type TlsMode = 'none' | 'starttls' | 'implicit';

export interface ListenSpec {
  /** IP address to bind ('0.0.0.0', '::', '127.0.0.1'), or 'unix:/path/to/socket'. */
  address: string;
  /** TCP port; 0 picks a free one (tests). Ignored for unix sockets. */
  port: number;
  tls: TlsMode;
}

export interface ConnectionInfo {
  /** The client's IP ('' for a unix socket); IPv4-mapped IPv6 is reported as IPv4. */
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** True when the socket handed over is already TLS (implicit listeners). */
  secure: boolean;
  spec: ListenSpec;
  /** STARTTLS upgrade with the listener's certificate and handshake timeout (only on 'starttls' listeners). */
  startTls?: () => Promise<tls.TLSSocket>;
}

export type ConnectionHandler = (socket: net.Socket, info: ConnectionInfo) => void;

export interface ListenOptions extends ConnectionLimits {
  /** Required for 'starttls' and 'implicit' listeners. */
  tls?: SecureContextProvider;
  /** Told about connections over a limit; write a polite refusal and end the socket. Default: destroy it. */
  onLimit?: (socket: net.Socket, reason: LimitReason, info: ConnectionInfo) => void;
  /** Socket errors and failed implicit-TLS handshakes, for the log. */
  onError?: (err: Error, info: ConnectionInfo) => void;
  /** Default 15 s. */
  handshakeTimeoutMs?: number;
  /** The listener's key in pochta.toml for error messages, e.g. 'listeners[0]'. Default 'listeners[]'. */
  configKey?: string;
}

export interface Listener {
  readonly spec: ListenSpec;
  /** The bound port (the real one when spec.port was 0); 0 for unix sockets. */
  readonly port: number;
  /** 'IP:port' or the unix socket path, for logs. */
  readonly where: string;
  connectionCount(): number;
  /** New limits apply to the next connection (SIGHUP). */
  setLimits(limits: ConnectionLimits): void;
  /** Stops accepting; open connections are destroyed after `graceMs` (default 0). Resolves when all are gone. */
  close(graceMs?: number): Promise<void>;
}

function unmapped(ip: string | undefined): string {
  if (ip === undefined) return '';
  return ip.toLowerCase().startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** Removes a socket file nobody answers on; refuses to touch a live socket or a file that is not a socket. */
async function removeStaleSocket(path: string, configKey: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) {
    throw new UserError(`${path} exists and is not a socket: remove it or change ${configKey}.address in pochta.toml`);
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) {
    throw new UserError(`unix socket ${path} is in use by another program: stop it or change ${configKey}.address in pochta.toml`);
  }
  await unlink(path);
}

export async function listen(spec: ListenSpec, onConnection: ConnectionHandler, opts: ListenOptions = {}): Promise<Listener> {
  const configKey = opts.configKey ?? 'listeners[]';
  const provider = opts.tls;
  if (spec.tls !== 'none' && provider === undefined) {
    throw new UserError(`${configKey} uses tls = "${spec.tls}" but no certificate is configured: set tls.cert and tls.key in pochta.toml`);
  }
  const unixPath = spec.address.startsWith('unix:') ? spec.address.slice('unix:'.length) : undefined;
  const limiter = new ConnectionLimiter(opts);
  const sockets = new Set<net.Socket>();
  const handshakeTimeoutMs = opts.handshakeTimeoutMs;

  const server = net.createServer((raw) => {
    const remoteAddress = unmapped(raw.remoteAddress);
    const info: ConnectionInfo = {
      remoteAddress,
      remotePort: raw.remotePort ?? 0,
      localAddress: unmapped(raw.localAddress),
      localPort: raw.localPort ?? 0,
      secure: false,
      spec,
    };
    raw.on('error', (err) => opts.onError?.(err, info));
    const over = limiter.tryAcquire(unixPath === undefined ? remoteAddress : undefined);
    sockets.add(raw);
    let released = over !== null;
    const release = (): void => {
      sockets.delete(raw);
      if (released) return;
      released = true;
      limiter.release(unixPath === undefined ? remoteAddress : undefined);
    };
    raw.once('close', release);

    const handOver = (socket: net.Socket): void => {
      if (over !== null) {
        if (opts.onLimit) opts.onLimit(socket, over, info);
        else socket.destroy();
        return;
      }
      onConnection(socket, info);
    };

    if (spec.tls === 'implicit' && provider !== undefined) {
      startTls(raw, provider, { handshakeTimeoutMs }).then(
        (secure) => {
          // A wrapped socket may report its close on the TLS side only.
          secure.once('close', release);
          secure.on('error', (err) => opts.onError?.(err, info));
          info.secure = true;
          sockets.delete(raw);
          sockets.add(secure);
          secure.once('close', () => sockets.delete(secure));
          handOver(secure);
        },
        (err: Error) => {
          release();
          opts.onError?.(err, info);
        },
      );
      return;
    }
    if (spec.tls === 'starttls' && provider !== undefined) {
      let upgraded = false;
      info.startTls = async () => {
        // RFC 3207 §4.2: one TLS negotiation per connection; a second STARTTLS is the protocol's error to answer.
        if (upgraded) throw new Error('STARTTLS was already done on this connection');
        upgraded = true;
        const secure = await startTls(raw, provider, { handshakeTimeoutMs });
        secure.once('close', release);
        secure.on('error', (err) => opts.onError?.(err, info));
        sockets.delete(raw);
        sockets.add(secure);
        secure.once('close', () => sockets.delete(secure));
        info.secure = true;
        return secure;
      };
    }
    handOver(raw);
  });

  if (unixPath !== undefined) await removeStaleSocket(unixPath, configKey);

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(bindError(e, { address: spec.address, port: spec.port, configKey }));
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (unixPath !== undefined) server.listen(unixPath, done);
    else server.listen({ host: spec.address, port: spec.port, exclusive: true }, done);
  });
  // Errors after bind (EMFILE on accept, ...) must not crash the process; accept goes on.
  server.on('error', () => {});

  if (unixPath !== undefined) await chmod(unixPath, 0o660);

  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : 0;
  const where = unixPath ?? (spec.address.includes(':') ? `[${spec.address}]:${port}` : `${spec.address}:${port}`);

  return {
    spec,
    port,
    where,
    connectionCount: () => limiter.total,
    setLimits: (limits) => limiter.setLimits(limits),
    close(graceMs = 0) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const destroyAll = (): void => {
        for (const s of sockets) s.destroy();
      };
      if (graceMs > 0) {
        const timer = setTimeout(destroyAll, graceMs);
        void closed.then(() => clearTimeout(timer));
      } else {
        destroyAll();
      }
      return closed;
    },
  };
}
