/**
 * TLS certificates for every listener: a `SecureContextProvider` that loads a PEM certificate chain and key into a
 * `tls.SecureContext` and can reload them (SIGHUP) so new connections get the new certificate.
 *
 * Invariants: TLS 1.2 is the lowest version offered (RFC 8996 deprecates 1.0 and 1.1; RFC 8314 §4.1 asks for
 * current TLS on mail ports); `minVersion` may raise it to 1.3. A reload that fails (missing file, key that does not
 * match the certificate) leaves the previous context in place and rejects with a UserError; connections already
 * open are never touched. `context()` is read per connection, so a swap applies to the next handshake.
 * Side effects: reads the certificate and key files (on create and on reload).
 */
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { UserError } from '../lib/errors.js';

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsFileSource {
  certPath: string;
  keyPath: string;
  minVersion?: TlsMinVersion;
  /** Config key named in error messages, e.g. 'tls'. Default 'tls'. */
  configKey?: string;
}

export interface TlsPemSource {
  /** PEM certificate (chain: leaf first). */
  cert: string;
  /** PEM private key. */
  key: string;
  minVersion?: TlsMinVersion;
}

export type SniCallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => void;

export interface SecureContextProvider {
  readonly minVersion: TlsMinVersion;
  /** The context for the next handshake. */
  context(): tls.SecureContext;
  /** Hands out the current context whatever the SNI name (one certificate per server for now). */
  readonly SNICallback: SniCallback;
  /** Options for `tls.createServer` / `new tls.TLSSocket` / smtp-server that follow reloads. */
  serverOptions(): tls.TlsOptions;
  /** The current certificate (leaf), e.g. to log its fingerprint and expiry. */
  certificate(): X509Certificate;
  /** Re-reads the files (a PEM source just rebuilds); on failure keeps the old context and throws a UserError. */
  reload(): Promise<void>;
}

interface Loaded {
  context: tls.SecureContext;
  certificate: X509Certificate;
}

function build(cert: string, key: string, minVersion: TlsMinVersion, what: string, configKey: string): Loaded {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (e) {
    throw new UserError(`${what} is not a PEM certificate: set ${configKey}.cert in pochta.toml to a PEM file`, { cause: e });
  }
  try {
    const context = tls.createSecureContext({ cert, key, minVersion });
    return { context, certificate };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new UserError(
      `the TLS key does not fit ${what} (${reason}): set ${configKey}.key in pochta.toml to the certificate's private key`,
      { cause: e },
    );
  }
}

async function readPem(path: string, what: string, key: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UserError(`cannot read TLS ${what} ${path} (${code}): fix the file or set ${key} in pochta.toml`, { cause: e });
  }
}

export async function createTlsContextProvider(source: TlsFileSource | TlsPemSource): Promise<SecureContextProvider> {
  const minVersion: TlsMinVersion = source.minVersion ?? 'TLSv1.2';

  const load = async (): Promise<Loaded> => {
    if ('cert' in source) return build(source.cert, source.key, minVersion, 'the certificate', 'tls');
    const configKey = source.configKey ?? 'tls';
    const [cert, key] = await Promise.all([
      readPem(source.certPath, 'certificate', `${configKey}.cert`),
      readPem(source.keyPath, 'key', `${configKey}.key`),
    ]);
    return build(cert, key, minVersion, `certificate ${source.certPath}`, configKey);
  };

  let current = await load();
  const SNICallback: SniCallback = (_servername, cb) => cb(null, current.context);

  return {
    minVersion,
    context: () => current.context,
    SNICallback,
    serverOptions: () => ({ secureContext: current.context, SNICallback, minVersion }),
    certificate: () => current.certificate,
    async reload() {
      current = await load();
    },
  };
}
