/**
 * Test bench for the outbound queue: a temp store with a local sender (ivanov@example.org), the fake DNS,
 * the real NodeResolver pointed at it, in-process SMTP receivers (smtp-server) or raw misbehaving TCP
 * servers on 127.0.0.x, and a QueueService with the real SMTP transport and short timeouts.
 */
import net from 'node:net';
import { freePort as freePortOn } from '../../helpers/free-port.js';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { configSchema } from '../../../src/config/schema.js';
import { NodeResolver } from '../../../src/dns/node-resolver.js';
import { LocalDelivery } from '../../../src/pipeline/local-delivery.js';
import { createOutboundQueueService } from '../../../src/protocols/smtp/client/outbound-service.js';
import type { SmtpTimeouts } from '../../../src/protocols/smtp/client/session.js';
import type { QueueService } from '../../../src/queue/queue-service.js';
import type { QueueEntry, QueueEntryInput } from '../../../src/store/types.js';
import { startFakeDns, type FakeDns } from '../../helpers/fake-dns.js';
import { makeTempStore, type TempStore } from '../../helpers/store-temp.js';

export interface Received {
  from: string;
  to: string[];
  data: Buffer;
  secure: boolean;
  user: string | undefined;
}

export interface Receiver {
  address: string;
  port: number;
  received: Received[];
  /** AUTH commands the receiver was given (a password sent, right or wrong). */
  authAttempts(): number;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Reply for RCPT per address: e.g. { 'bad@x': 550 }. */
  rcptCodes?: Record<string, number>;
  /** Reply for DATA end: a code to refuse the message (e.g. 451), counted down by `dataFailures`. */
  dataCode?: number;
  dataFailures?: number;
  size?: number;
  auth?: { user: string; pass: string };
  extra?: Partial<SMTPServerOptions>;
}

/** An smtp-server receiver bound to `address:port` (port 0 = any). */
export async function startReceiver(address: string, port: number, opts: ReceiverOptions = {}): Promise<Receiver> {
  const received: Received[] = [];
  let authAttempts = 0;
  let dataFailures = opts.dataFailures ?? 0;
  const server = new SMTPServer({
    logger: false,
    authOptional: opts.auth === undefined,
    ...(opts.auth ? { authMethods: ['PLAIN', 'LOGIN'] } : {}),
    ...(opts.size ? { size: opts.size } : {}),
    onAuth(auth, _session, cb) {
      authAttempts++;
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onRcptTo(addr, _session, cb) {
      const code = opts.rcptCodes?.[addr.address];
      if (code !== undefined) {
        const err = new Error(code >= 500 ? `${code === 550 ? '5.1.1' : '5.0.0'} no such user here` : '4.2.1 try again later') as Error & { responseCode: number };
        err.responseCode = code;
        cb(err);
        return;
      }
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (opts.dataCode !== undefined && dataFailures > 0) {
          dataFailures--;
          const err = new Error('4.3.0 temporary trouble') as Error & { responseCode: number };
          err.responseCode = opts.dataCode;
          cb(err);
          return;
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb(null, 'Queued as TEST');
      });
    },
    ...opts.extra,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  const bound = (server.server.address() as net.AddressInfo).port;
  return {
    address,
    port: bound,
    received,
    authAttempts: () => authAttempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A raw TCP server that runs `onConnection` for each client (greets 554, stalls, drops mid-DATA...). */
export async function startRawServer(address: string, port: number, onConnection: (socket: net.Socket) => void): Promise<Receiver & { connections: number }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  return {
    address,
    port: (server.address() as net.AddressInfo).port,
    received: [],
    authAttempts: () => 0,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads lines from a raw socket and answers them with `answer(line)` (null: no reply). */
export function scripted(socket: net.Socket, greeting: string | null, answer: (line: string, inData: boolean) => string | null): void {
  if (greeting !== null) socket.write(`${greeting}\r\n`);
  let buf = '';
  let inData = false;
  socket.on('data', (chunk: Buffer) => {
    buf += chunk.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (inData && line === '.') inData = false;
      const reply = answer(line, inData);
      if (!inData && /^DATA$/i.test(line) && reply?.startsWith('354')) inData = true;
      if (reply !== null && !socket.destroyed) socket.write(`${reply}\r\n`);
    }
  });
}

export const FAST_TIMEOUTS: Partial<SmtpTimeouts> = {
  connect: 1000, greeting: 1000, command: 1000, mail: 1000, rcpt: 1000, dataInit: 1000, dataBlock: 1000, dataEnd: 1000,
};

export interface Bench {
  dns: FakeDns;
  temp: TempStore;
  port: number;
  service: QueueService;
  ivanovId: number;
  enqueue(input: Partial<QueueEntryInput> & { recipients: QueueEntryInput['recipients'] }, body?: string | Buffer): Promise<QueueEntry>;
  /** Waits until `check` is true (polling the store), up to `ms`. */
  until(check: () => Promise<boolean> | boolean, ms?: number): Promise<void>;
  inbox(): Promise<Buffer[]>;
  close(): Promise<void>;
}

export interface BenchOptions {
  port: number;
  queue?: Record<string, unknown>;
  timeouts?: Partial<SmtpTimeouts>;
  /** Start the queue service at once (default true). */
  start?: boolean;
}

export const MESSAGE = 'From: ivanov@example.org\r\nTo: kozlov@example.com\r\nSubject: Test\r\nMessage-ID: <t1@example.org>\r\n\r\nHello.\r\n';

/** Gets a port free on both 127.0.0.2 and 127.0.0.3 (and .4) by binding 127.0.0.2 to port 0. */
/** A free port on 127.0.0.2, where the test receivers listen. */
export function freePort(): Promise<number> {
  return freePortOn('127.0.0.2');
}

export async function startBench(opts: BenchOptions): Promise<Bench> {
  const dns = await startFakeDns();
  const temp = await makeTempStore();
  const store = temp.store;
  await store.addDomain({ name: 'example.org' });
  const ivanov = await store.createAccount({ address: 'ivanov@example.org', passwordHash: '{PLAIN}x' });
  const config = configSchema.parse({
    server: { hostname: 'mx.example.org' },
    dns: { servers: [dns.server], timeout_ms: 300, tries: 1 },
    queue: { remote_port: opts.port, retry_initial: 1, retry_max: 2, ...opts.queue },
  });
  const resolver = new NodeResolver({ servers: [dns.server], timeoutMs: 300, tries: 1 });
  const service = createOutboundQueueService({
    store,
    resolver,
    config,
    localDelivery: new LocalDelivery(store),
    timeouts: { ...FAST_TIMEOUTS, ...opts.timeouts },
    pollIntervalMs: 200,
  });
  if (opts.start !== false) await service.start();
  const bench: Bench = {
    dns,
    temp,
    port: opts.port,
    service,
    ivanovId: ivanov.id,
    async enqueue(input, body = MESSAGE) {
      const blob = await store.blobs.put(Buffer.from(body));
      const entry = await store.enqueue({ sender: 'ivanov@example.org', blobId: blob.id, size: blob.size, ...input });
      service.wake();
      return entry;
    },
    async until(check, ms = 8000) {
      const end = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > end) throw new Error('condition not reached in time');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async inbox() {
      const box = (await store.listMailboxes(ivanov.id)).find((m) => m.name === 'INBOX')!;
      const msgs = await store.getMessages(box.id, (await store.listMessages(box.id)).map((m) => m.uid));
      return Promise.all(msgs.map(async (m) => Buffer.concat([Buffer.from(m.prefix), await store.blobs.read(m.blobId)])));
    },
    async close() {
      await service.stop(new Date(Date.now() + 2000));
      await dns.close();
      await temp.cleanup();
    },
  };
  return bench;
}
