/**
 * A small raw-socket IMAP client for protocol transcripts: sends exact bytes, reads whole responses (a line
 * plus any literals it announces), tags commands A1, A2, ... and collects everything up to the tagged reply.
 * Supports implicit TLS, STARTTLS upgrades and COMPRESS=DEFLATE. Loopback only.
 */
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';

export interface TaggedReply {
  /** Untagged and continuation responses, in order. */
  lines: string[];
  /** The tagged line, e.g. "A1 OK LOGIN completed". */
  tagged: string;
}

export class ImapTestClient {
  private buf = Buffer.alloc(0);
  private readonly queue: string[] = [];
  private waiters: Array<() => void> = [];
  private n = 0;
  private socket: net.Socket;
  private deflate: zlib.DeflateRaw | null = null;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  static async connect(port: number, opts: { tls?: boolean; ca?: string } = {}): Promise<ImapTestClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ host: '127.0.0.1', port, ca: opts.ca, servername: 'mx.example.org', rejectUnauthorized: false }, () => resolve(s))
        : net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    return new ImapTestClient(socket);
  }

  private readonly onData = (c: Buffer): void => this.push(c);

  private attach(s: net.Socket): void {
    s.on('data', this.onData);
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
    s.on('error', () => undefined);
  }

  private push(c: Buffer): void {
    this.buf = Buffer.concat([this.buf, c]);
    this.parse();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Splits the buffer into complete responses (line + literals). */
  private parse(): void {
    for (;;) {
      let pos = 0;
      let out = '';
      let complete = false;
      for (;;) {
        const lf = this.buf.indexOf(0x0a, pos);
        if (lf < 0) break;
        const line = this.buf.subarray(pos, lf + 1).toString('utf8');
        const m = /\{(\d+)\}\r\n$/.exec(line);
        if (!m) {
          out += line;
          pos = lf + 1;
          complete = true;
          break;
        }
        const n = Number(m[1]);
        if (this.buf.length < lf + 1 + n) break;
        out += line + this.buf.subarray(lf + 1, lf + 1 + n).toString('utf8');
        pos = lf + 1 + n;
      }
      if (!complete) return;
      this.buf = this.buf.subarray(pos);
      this.queue.push(out.replace(/\r\n$/, ''));
      this.wake();
    }
  }

  /** The next response (without the final CRLF). */
  async readResponse(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for a response');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.queue.shift()!;
  }

  /** Waits for a response matching `re` (others are returned too, in order). */
  async waitFor(re: RegExp, timeoutMs = 5000): Promise<string[]> {
    const seen: string[] = [];
    for (;;) {
      const r = await this.readResponse(timeoutMs);
      seen.push(r);
      if (re.test(r)) return seen;
    }
  }

  write(data: string | Buffer): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.deflate) {
      this.deflate.write(b);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
    } else this.socket.write(b);
  }

  nextTag(): string {
    return `A${++this.n}`;
  }

  /** Sends `tag text` CRLF and reads up to the tagged reply. */
  async command(text: string, timeoutMs = 5000): Promise<TaggedReply> {
    const tag = this.nextTag();
    this.write(`${tag} ${text}\r\n`);
    return this.until(tag, timeoutMs);
  }

  /** Reads responses until the tagged reply for `tag`. */
  async until(tag: string, timeoutMs = 5000): Promise<TaggedReply> {
    const lines: string[] = [];
    for (;;) {
      const r = await this.readResponse(timeoutMs);
      if (r.startsWith(`${tag} `)) return { lines, tagged: r };
      lines.push(r);
    }
  }

  async login(user: string, pass: string): Promise<TaggedReply> {
    return this.command(`LOGIN "${user}" "${pass}"`);
  }

  async startTls(): Promise<void> {
    const r = await this.command('STARTTLS');
    if (!/ OK /.test(r.tagged)) throw new Error(`STARTTLS refused: ${r.tagged}`);
    this.socket.off('data', this.onData);
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: this.socket, rejectUnauthorized: false, servername: 'mx.example.org' }, () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** After `COMPRESS DEFLATE` OK: both directions raw DEFLATE. */
  startCompression(): void {
    const inflate = zlib.createInflateRaw();
    this.socket.off('data', this.onData);
    this.socket.on('data', (c: Buffer) => inflate.write(c));
    inflate.on('data', (c: Buffer) => this.push(c));
    const deflate = zlib.createDeflateRaw();
    deflate.on('data', (c: Buffer) => this.socket.write(c));
    this.deflate = deflate;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}
