/**
 * `NodeResolver`: the `Resolver` on node:dns/promises (c-ares), with configurable servers, timeout and tries.
 *
 * Invariants: every failure is rethrown as a `DnsError` keeping the node:dns code. An empty server list leaves the
 * system resolver (/etc/resolv.conf) in place. No cache: PTR and MX lookups per connection are cheap enough, and the
 * recursive resolver the admin points us at caches with the right TTLs.
 * Side effects: UDP/TCP queries to the configured servers only.
 */
import { Resolver as CaresResolver } from 'node:dns/promises';
import { UserError } from '../lib/errors.js';
import { DnsError, toDnsError } from './dns-error.js';
import { reverseName } from './ip.js';
import type { MxRecord, NameRrType, Resolver } from './resolver.js';

export interface NodeResolverOptions {
  /** "ip", "ip:port", "[ipv6]:port"; empty or missing = the system resolver. */
  servers?: readonly string[];
  /** Per-try timeout in milliseconds (c-ares backs off between tries). Default 5000. */
  timeoutMs?: number;
  /** Attempts per server before giving up. Default 2. */
  tries?: number;
  /** Config key named in error messages for bad servers. Default 'dns.servers'. */
  configKey?: string;
}

export class NodeResolver implements Resolver {
  readonly #cares: CaresResolver;

  constructor(opts: NodeResolverOptions = {}) {
    this.#cares = new CaresResolver({ timeout: opts.timeoutMs ?? 5000, tries: opts.tries ?? 2 });
    const servers = opts.servers ?? [];
    if (servers.length > 0) {
      try {
        this.#cares.setServers([...servers]);
      } catch (e) {
        throw new UserError(
          `invalid DNS server in ${JSON.stringify(servers)}: use "ip" or "ip:port" ("[::1]:53" for IPv6 with a port) in ${opts.configKey ?? 'dns.servers'} in pochta.toml`,
          { cause: e },
        );
      }
    }
    // Bound so `resolver.resolve` can be handed to libraries as a plain function (mailauth's `resolver` option).
    this.resolve = this.resolve.bind(this);
  }

  /** The servers in use (the system's when none were configured). */
  servers(): string[] {
    return this.#cares.getServers();
  }

  /** Aborts every outstanding query; each rejects with ECANCELLED. */
  cancel(): void {
    this.#cares.cancel();
  }

  async #run<T>(name: string, rrtype: string, lookup: () => Promise<T>): Promise<T> {
    try {
      return await lookup();
    } catch (e) {
      throw toDnsError(e, name, rrtype);
    }
  }

  resolveMx(name: string): Promise<MxRecord[]> {
    return this.#run(name, 'MX', () => this.#cares.resolveMx(name));
  }

  resolve4(name: string): Promise<string[]> {
    return this.#run(name, 'A', () => this.#cares.resolve4(name));
  }

  resolve6(name: string): Promise<string[]> {
    return this.#run(name, 'AAAA', () => this.#cares.resolve6(name));
  }

  resolveTxt(name: string): Promise<string[][]> {
    return this.#run(name, 'TXT', () => this.#cares.resolveTxt(name));
  }

  reverse(ip: string): Promise<string[]> {
    // Not c-ares' reverse(): its getHostByAddr reports a timeout or SERVFAIL as ENOTFOUND (seen on Node 20), which
    // would turn a temporary failure into "no PTR". Asking for the PTR records of the arpa name keeps the real code.
    let name: string;
    try {
      name = reverseName(ip);
    } catch (e) {
      return Promise.reject(new DnsError('EBADNAME', ip, 'PTR', { cause: e }));
    }
    return this.#run(ip, 'PTR', () => this.#cares.resolvePtr(name));
  }

  resolveCname(name: string): Promise<string[]> {
    return this.#run(name, 'CNAME', () => this.#cares.resolveCname(name));
  }

  resolve(name: string, rrtype: NameRrType): Promise<string[]>;
  resolve(name: string, rrtype: 'MX'): Promise<MxRecord[]>;
  resolve(name: string, rrtype: 'TXT'): Promise<string[][]>;
  resolve(name: string, rrtype: string): Promise<string[] | string[][] | MxRecord[] | unknown[]>;
  resolve(name: string, rrtype: string): Promise<string[] | string[][] | MxRecord[] | unknown[]> {
    const type = rrtype.toUpperCase();
    return this.#run(name, type, () => this.#cares.resolve(name, type) as Promise<unknown[]>);
  }
}
