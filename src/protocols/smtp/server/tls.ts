/**
 * STARTTLS glue for smtp-server. smtp-server runs its own STARTTLS (RFC 3207) and builds the TLS socket from
 * `server.secureContext.get('*')` (a context it made at construction, from its own built-in certificate
 * unless key/cert are given) or from our SNICallback when the client sends SNI. Both paths must hand out the
 * provider's CURRENT context, so that a certificate reload (SIGHUP) applies to the next handshake:
 * `LiveSecureContexts` answers every lookup with `provider.context()`. The provider's context carries the
 * minimum version (TLS 1.2 or later, RFC 8996); `minVersion` is also set on the options so that no context
 * smtp-server builds itself ever allows less.
 *
 * Side effects: none beyond the objects built.
 */

import type tls from 'node:tls';
import type { SMTPServerOptions } from 'smtp-server';
import type { SecureContextProvider } from '../../../net/tls-context.js';

/** A Map whose every lookup is the provider's current context. */
export class LiveSecureContexts extends Map<string, tls.SecureContext> {
  constructor(private readonly provider: SecureContextProvider) {
    super();
  }

  override get(_servername: string): tls.SecureContext {
    return this.provider.context();
  }

  override has(_servername: string): boolean {
    return true;
  }
}

/** The TLS part of the SMTPServer options for a listener. */
export function tlsServerOptions(provider: SecureContextProvider | undefined): Partial<SMTPServerOptions> {
  if (provider === undefined) return {};
  return {
    SNICallback: provider.SNICallback,
    minVersion: provider.minVersion,
  };
}

/** "TLSv1.3" and the cipher's standard name, for the Received header (RFC 8314 §4.3). */
export function tlsInfo(cipher: tls.CipherNameAndProtocol | false | undefined): { version: string; cipher: string } | undefined {
  if (!cipher) return undefined;
  const std = (cipher as tls.CipherNameAndProtocol & { standardName?: string }).standardName;
  return { version: cipher.version, cipher: std ?? cipher.name };
}
