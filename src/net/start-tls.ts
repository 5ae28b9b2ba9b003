/**
 * Server-side TLS on an accepted plain socket: STARTTLS (RFC 3207 §4, RFC 9051 §6.2.1, RFC 2595 §4) and the
 * handshake of implicit-TLS listeners (RFC 8314 §3.3).
 *
 * Invariants: the handshake uses the provider's context at the moment of the call (reloads apply to new
 * upgrades); it must finish within the timeout or the socket is destroyed and the promise rejects. On failure the
 * plain socket is destroyed too: a failed STARTTLS never falls back to plaintext.
 * The caller must stop reading the plain socket before calling (remove its 'data' listeners): bytes the client
 * sent after the STARTTLS command and before the handshake must not be read as commands (RFC 3207 §6,
 * the CVE-2011-0411 injection).
 */
import type net from 'node:net';
import tls from 'node:tls';
import type { SecureContextProvider } from './tls-context.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 15_000;

export class TlsHandshakeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsHandshakeError';
  }
}

export function startTls(
  socket: net.Socket,
  provider: SecureContextProvider,
  opts: { handshakeTimeoutMs?: number } = {},
): Promise<tls.TLSSocket> {
  const timeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const secure = new tls.TLSSocket(socket, {
    isServer: true,
    secureContext: provider.context(),
    SNICallback: provider.SNICallback,
    requestCert: false,
    rejectUnauthorized: false,
  });
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      cleanup();
      secure.destroy();
      socket.destroy();
      reject(err);
    };
    const onSecure = (): void => {
      cleanup();
      resolve(secure);
    };
    const onError = (err: Error): void => fail(new TlsHandshakeError(`TLS handshake failed: ${err.message}`, { cause: err }));
    const onClose = (): void => fail(new TlsHandshakeError('connection closed during the TLS handshake'));
    const timer = setTimeout(
      () => fail(new TlsHandshakeError(`TLS handshake did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function cleanup(): void {
      clearTimeout(timer);
      secure.off('secure', onSecure);
      secure.off('error', onError);
      secure.off('close', onClose);
    }
    secure.once('secure', onSecure);
    secure.on('error', onError);
    secure.once('close', onClose);
  });
}
