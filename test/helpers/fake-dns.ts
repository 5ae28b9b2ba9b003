/**
 * The fake DNS server every test uses (dns2 3.0.0), on 127.0.0.1 with UDP and TCP on the same port, so
 * `new NodeResolver({ servers: [fake.server] })` asks it and nothing reaches real DNS.
 *
 * Semantics follow DNS (RFC 1035 §4.1.1, RFC 2308, RFC 8020): a name with no records answers NXDOMAIN (ENOTFOUND);
 * a name that has records of other types, or records below it (an empty non-terminal such as _domainkey.example.com),
 * answers NOERROR without answers (ENODATA). A CNAME is followed inside the zone. Names are case-insensitive.
 * `setTimeout(name)` never answers, `setServfail(name)` answers SERVFAIL, `setNxdomain(name)` answers NXDOMAIN even
 * if records exist. TXT strings longer than 255 bytes are split into character-strings (RFC 1035 §3.3.14), since
 * dns2 would otherwise send a broken packet. UDP answers over 512 bytes come back truncated (TC) and the client
 * retries over TCP, as with a real server.
 *
 * dns2's typings are incomplete (Packet.RCODE, Resource objects, listen's `type`), so its objects are `any` here.
 */
import net from 'node:net';
import * as dns2 from 'dns2';
import { reverseName } from '../../src/dns/ip.js';

const { Packet } = dns2 as any;

export type FakeRecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME';
export type FakeRecordValue = string | readonly string[] | { exchange: string; priority: number };

export interface FakeQuery {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface FakeDns {
  readonly port: number;
  readonly address: '127.0.0.1';
  /** "127.0.0.1:PORT", for `dns.servers` in a test config. */
  readonly server: string;
  /** Every question received, in order. */
  readonly queries: FakeQuery[];
  /**
   * Adds a record. MX: `{ exchange, priority }` or "10 mx.example.com". TXT: a string (split into 255-byte
   * character-strings) or the list of character-strings. A/AAAA: the address. PTR/CNAME: the target name.
   */
  add(name: string, type: FakeRecordType, value: FakeRecordValue, ttl?: number): void;
  /** A PTR record for an IPv4 or IPv6 address (builds the in-addr.arpa / ip6.arpa name). */
  addPtr(ip: string, name: string, ttl?: number): void;
  /** Removes the records of `name` (of one type, or all of them and any failure set on the name). */
  remove(name: string, type?: FakeRecordType): void;
  /** Removes every record and failure, and empties the query log. */
  clear(): void;
  /** Answers NXDOMAIN for the name, whatever records it has. */
  setNxdomain(name: string): void;
  /** Never answers questions about the name (the client times out). */
  setTimeout(name: string): void;
  /** Answers SERVFAIL for the name. */
  setServfail(name: string): void;
  close(): Promise<void>;
}

interface StoredRecord {
  type: FakeRecordType;
  ttl: number;
  data: Record<string, unknown>;
}

type Failure = 'nxdomain' | 'timeout' | 'servfail';

function key(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** RFC 1035 §3.3.14: a character-string is at most 255 bytes; split on UTF-8 byte boundaries. */
export function splitTxt(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return [bytes];
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
  return chunks;
}

function recordData(type: FakeRecordType, value: FakeRecordValue): Record<string, unknown> {
  switch (type) {
    case 'A':
    case 'AAAA':
      if (typeof value !== 'string' || net.isIP(value) !== (type === 'A' ? 4 : 6)) {
        throw new TypeError(`fake DNS: ${type} value must be an IPv${type === 'A' ? 4 : 6} address, got ${String(value)}`);
      }
      return { address: value };
    case 'MX': {
      if (typeof value === 'object' && !Array.isArray(value)) {
        const mx = value as { exchange: string; priority: number };
        return { exchange: key(mx.exchange), priority: mx.priority };
      }
      const m = typeof value === 'string' ? /^\s*(\d+)\s+(\S+)\s*$/.exec(value) : null;
      if (!m) throw new TypeError(`fake DNS: MX value must be { exchange, priority } or "10 mx.example.com"`);
      return { exchange: key(m[2]), priority: Number(m[1]) };
    }
    case 'TXT': {
      const parts = typeof value === 'string' ? [value] : (value as readonly string[]);
      return { data: parts.flatMap((p) => splitTxt(p)) };
    }
    case 'PTR':
    case 'CNAME':
      if (typeof value !== 'string') throw new TypeError(`fake DNS: ${type} value must be a name`);
      return { domain: key(value) };
  }
}

function typeName(code: number): string {
  return Object.keys(Packet.TYPE).find((k) => Packet.TYPE[k] === code) ?? String(code);
}

export async function startFakeDns(): Promise<FakeDns> {
  const zone = new Map<string, StoredRecord[]>();
  const failures = new Map<string, Failure>();
  const queries: FakeQuery[] = [];
  const tcpConnections = new Set<net.Socket>();

  function isEmptyNonTerminal(name: string): boolean {
    for (const owner of zone.keys()) if (owner.endsWith('.' + name)) return true;
    return false;
  }

  function resource(name: string, rec: StoredRecord): any {
    return { name, type: Packet.TYPE[rec.type], class: Packet.CLASS.IN, ttl: rec.ttl, ...rec.data };
  }

  function answer(request: any, send: (response: any) => unknown, transport: 'udp' | 'tcp'): void {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    response.header.ra = 1;
    const [question] = request.questions;
    if (question === undefined) {
      response.header.rcode = Packet.RCODE.FORMERR;
      send(response);
      return;
    }
    const name = key(question.name);
    queries.push({ name, type: typeName(question.type), transport });
    const failure = failures.get(name);
    if (failure === 'timeout') return;
    if (failure === 'servfail' || failure === 'nxdomain') {
      response.header.rcode = failure === 'servfail' ? Packet.RCODE.SERVFAIL : Packet.RCODE.NXDOMAIN;
      send(response);
      return;
    }
    // Follow CNAMEs inside the zone (RFC 1034 §3.6.2), at most 8 deep.
    let owner = name;
    for (let depth = 0; depth < 8; depth++) {
      const records = zone.get(owner) ?? [];
      const wanted = records.filter((r) => Packet.TYPE[r.type] === question.type);
      if (wanted.length > 0) {
        for (const r of wanted) response.answers.push(resource(owner, r));
        break;
      }
      const cname = records.find((r) => r.type === 'CNAME');
      if (cname === undefined) {
        if (records.length === 0 && owner === name && !isEmptyNonTerminal(name)) {
          response.header.rcode = Packet.RCODE.NXDOMAIN;
        }
        break;
      }
      response.answers.push(resource(owner, cname));
      owner = cname.data.domain as string;
      if (failures.get(owner) === 'servfail') {
        response.header.rcode = Packet.RCODE.SERVFAIL;
        break;
      }
    }
    send(response);
  }

  const udp = (dns2 as any).createUDPServer({ type: 'udp4' });
  udp.on('request', (req: any, send: any) => answer(req, send, 'udp'));
  udp.on('requestError', () => {});
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, '127.0.0.1', () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const port: number = udp.address().port;

  const tcp = (dns2 as any).createTCPServer();
  tcp.on('request', (req: any, send: any) => answer(req, send, 'tcp'));
  tcp.on('requestError', () => {});
  tcp.on('connection', (socket: net.Socket) => {
    tcpConnections.add(socket);
    socket.on('close', () => tcpConnections.delete(socket));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '127.0.0.1', () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    // Someone holds the TCP side of the port: give it back and try another one.
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return startFakeDns();
    throw e;
  }

  const add: FakeDns['add'] = (name, type, value, ttl = 300) => {
    const k = key(name);
    const list = zone.get(k) ?? [];
    list.push({ type, ttl, data: recordData(type, value) });
    zone.set(k, list);
  };

  const fake: FakeDns = {
    port,
    address: '127.0.0.1',
    server: `127.0.0.1:${port}`,
    queries,
    add,
    addPtr(ip, name, ttl = 300) {
      add(reverseName(ip), 'PTR', name, ttl);
    },
    remove(name, type) {
      const k = key(name);
      if (type === undefined) {
        zone.delete(k);
        failures.delete(k);
        return;
      }
      const left = (zone.get(k) ?? []).filter((r) => r.type !== type);
      if (left.length > 0) zone.set(k, left);
      else zone.delete(k);
    },
    clear() {
      zone.clear();
      failures.clear();
      queries.length = 0;
    },
    setNxdomain(name) {
      failures.set(key(name), 'nxdomain');
    },
    setTimeout(name) {
      failures.set(key(name), 'timeout');
    },
    setServfail(name) {
      failures.set(key(name), 'servfail');
    },
    async close() {
      for (const socket of tcpConnections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
  return fake;
}
