/**
 * A small pool of ldapts clients bound as the service DN (like Postfix's proxymap in front of ldap tables):
 * at most `size` connections, callers beyond that wait in FIFO order. A connection that failed (socket
 * error, timeout) is closed and replaced on the next acquire; a result-code error (no such object, size
 * limit) keeps it.
 *
 * Each new connection does StartTLS first when asked, then the simple bind (RFC 4513 §5.1), so credentials
 * never cross the wire in clear when TLS is configured. Side effects: TCP connections to the LDAP server.
 */

import { Client, ResultCodeError, type ClientOptions } from 'ldapts';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface LdapConnectOptions {
  url: string;
  starttls: boolean;
  tls: ConnectionOptions | undefined;
  timeoutMs: number;
}

/** A connected client, StartTLS done when configured, not yet bound. */
export async function connectLdap(o: LdapConnectOptions): Promise<Client> {
  const opts: ClientOptions = {
    url: o.url,
    timeout: o.timeoutMs,
    connectTimeout: o.timeoutMs,
    // Pooled connections must not keep the process alive after the listeners closed (shutdown, tests).
    // ldapts calls these as (port, host) and (port, host, tlsOptions) for ldaps://, and (options) for
    // StartTLS: every argument must pass through, or the socket goes to localhost without the CA.
    createConnection: ((...args: unknown[]): Socket => (netConnect as (...a: unknown[]) => Socket)(...args).unref()) as typeof netConnect,
    createSecureConnection: ((...args: unknown[]): TLSSocket =>
      (tlsConnect as (...a: unknown[]) => TLSSocket)(...args).unref()) as typeof tlsConnect,
  };
  // ldapts connects with TLS whenever tlsOptions is set: only for ldaps:// (StartTLS gets them below).
  if (o.tls !== undefined && o.url.toLowerCase().startsWith('ldaps:')) opts.tlsOptions = o.tls;
  const client = new Client(opts);
  // RFC 4513 §3: StartTLS before any bind, so the password travels encrypted. The certificate is checked
  // against the URL's host (RFC 4513 §3.1.3); without `host` node would check the name "localhost".
  if (o.starttls) await client.startTLS({ ...o.tls, host: urlHost(o.url) });
  return client;
}

/** The host of an ldap:// URL, IPv6 brackets removed. */
function urlHost(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
}

export class LdapPool {
  private readonly idle: Client[] = [];
  private readonly waiters: Array<(c: Client | null) => void> = [];
  private open = 0;
  private closed = false;

  constructor(
    private readonly o: LdapConnectOptions & { size: number; bindDn: string; bindPassword: string },
  ) {}

  /** Runs fn on a bound connection; a connection-level failure discards the connection and rethrows. */
  async use<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let healthy = true;
    try {
      return await fn(client);
    } catch (e) {
      healthy = e instanceof ResultCodeError;
      throw e;
    } finally {
      this.release(client, healthy);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(null);
    const all = this.idle.splice(0);
    this.open -= all.length;
    await Promise.all(all.map((c) => c.unbind().catch(() => undefined)));
  }

  private async acquire(): Promise<Client> {
    if (this.closed) throw new Error('ldap pool closed');
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) break;
      if (c.isConnected) return c;
      this.open--;
      void c.unbind().catch(() => undefined);
    }
    if (this.open >= this.o.size) {
      const c = await new Promise<Client | null>((resolve) => this.waiters.push(resolve));
      if (c === null) throw new Error('ldap pool closed');
      return c;
    }
    this.open++;
    try {
      const c = await connectLdap(this.o);
      if (this.o.bindDn !== '') await c.bind(this.o.bindDn, this.o.bindPassword);
      return c;
    } catch (e) {
      this.open--;
      this.handOverSlot();
      throw e;
    }
  }

  private release(c: Client, healthy: boolean): void {
    if (!healthy || this.closed || !c.isConnected) {
      this.open--;
      void c.unbind().catch(() => undefined);
      this.handOverSlot();
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) w(c);
    else this.idle.push(c);
  }

  /** A slot freed by a failed connection: the first waiter opens its own. */
  private handOverSlot(): void {
    const w = this.waiters.shift();
    if (w === undefined) return;
    this.acquire().then(w, () => w(null));
  }
}
