/**
 * Value validators shared by the config schema: integers with ranges, enums, host names, IP addresses,
 * CIDR blocks, `host:port` pairs. Each zod type carries ONE admin-facing message ("must be ...") that the
 * loader prints as `file: key.path: must be ... (got X)`, whatever check failed.
 *
 * Pure: no I/O. Everything here is also usable outside the schema (e.g. `parseCidr`, `splitHostPort`).
 */
import { isIP } from 'node:net';
import * as z from 'zod';

/** A zod integer in [min, max] (max omitted: unbounded) with one message for every failure. */
export function intIn(min: number, max?: number) {
  const msg =
    max !== undefined
      ? `must be an integer ${min}-${max}`
      : min === 0
        ? 'must be an integer >= 0'
        : min === 1
          ? 'must be a positive integer'
          : `must be an integer >= ${min}`;
  const base = z.int({ error: msg }).min(min, { error: msg });
  return max === undefined ? base : base.max(max, { error: msg });
}

export const portNumber = () => intIn(1, 65535);

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });
}

export const bool = () => z.boolean({ error: 'must be true or false' });

export const str = () => z.string({ error: 'must be a string' });

export function nonEmptyLine() {
  return str().refine((s) => s.length > 0 && !/[\r\n]/.test(s), { error: 'must be a non-empty single line' });
}

export function arrayOf<T extends z.ZodType>(item: T) {
  return z.array(item, { error: 'must be an array' });
}

/** A TOML table: the message for a non-table value; unknown keys are reported by the loader. */
export function table<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'invalid_type' ? 'must be a table' : undefined),
  });
}

// RFC 1123 §2.1 host names: letters, digits, hyphens; labels 1-63 octets, at most 253 in all.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
export function isHostname(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
}

export function hostname() {
  return str().refine(isHostname, { error: 'must be a host name like "mx.example.org"' });
}

export function pathString() {
  return str().refine((s) => s.length > 0 && !s.includes('\0'), { error: 'must be a non-empty path' });
}

/** Unix user or group name (or numeric id). */
export function accountName() {
  return str().refine((s) => /^[a-z_][a-z0-9_.-]*\$?$/i.test(s) || /^\d+$/.test(s), {
    error: 'must be a user or group name',
  });
}

export interface Cidr {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/** Parses "192.0.2.0/24", "2001:db8::/32" or a bare address (a /32 or /128); null when invalid. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  const address = slash < 0 ? s : s.slice(0, slash);
  const v = isIP(address);
  if (v === 0 || address.includes('%')) return null;
  const max = v === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  return { family: v === 4 ? 'ipv4' : 'ipv6', address, prefix };
}

export function cidr() {
  return str().refine((s) => parseCidr(s) !== null, {
    error: 'must be a CIDR block like "192.0.2.0/24" or "2001:db8::/32"',
  });
}

export interface HostPort {
  host: string;
  port: number | undefined;
}

/** Splits "host", "host:port", "1.2.3.4:53", "[2001:db8::1]:53" or a bare IPv6 address; null when invalid. */
export function splitHostPort(s: string): HostPort | null {
  let host: string;
  let port: string | undefined;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m) {
    if (isIP(m[1]!) !== 6) return null;
    host = m[1]!;
    port = m[2];
  } else if (isIP(s) === 6) {
    host = s;
  } else {
    const i = s.lastIndexOf(':');
    host = i < 0 ? s : s.slice(0, i);
    port = i < 0 ? undefined : s.slice(i + 1);
    if (isIP(host) !== 4 && !isHostname(host)) return null;
  }
  if (port === undefined) return { host, port: undefined };
  if (!/^\d{1,5}$/.test(port)) return null;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? { host, port: n } : null;
}

/** A DNS server: an IP address with an optional port ("192.0.2.53", "192.0.2.53:5353", "[::1]:53"). */
export function dnsServer() {
  return str().refine(
    (s) => {
      const hp = splitHostPort(s);
      return hp !== null && isIP(hp.host) !== 0;
    },
    { error: 'must be an IP address with an optional port, like "192.0.2.53" or "[2001:db8::53]:53"' },
  );
}

export function hostPort() {
  return str().refine((s) => splitHostPort(s) !== null, {
    error: 'must be "host" or "host:port", like "smtp.example.net:587" or "[2001:db8::25]:25"',
  });
}

/** A listening address: an IP address, or "unix:/path/to/socket". */
export function listenAddress() {
  return str().refine((s) => isIP(s) !== 0 || (s.startsWith('unix:') && s.length > 5 && !s.includes('\0')), {
    error: 'must be an IP address like "::" or "127.0.0.1", or "unix:/path/to/socket"',
  });
}
