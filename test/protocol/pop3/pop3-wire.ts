/**
 * A raw POP3 line client for transcript tests: sends exact bytes, reads exact replies. Not a POP3 library on
 * purpose: the tests decide what goes on the wire. Also `seedInbox` to put messages in an account's INBOX
 * through the local delivery target (as SMTP would).
 */
import net from 'node:net';
import tls from 'node:tls';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { deliveryPrefix } from '../../../src/pipeline/local-delivery.js';
import type { Store } from '../../../src/store/types.js';

export class Wire {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(public socket: net.Socket) {
    this.listen(socket);
  }

  static connect(port: number, opts: { ca?: string } = {}): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = opts.ca === undefined
        ? net.connect(port, '127.0.0.1')
        : tls.connect({ port, host: '127.0.0.1', ca: [opts.ca], servername: 'mx.test' });
      s.once(opts.ca === undefined ? 'connect' : 'secureConnect', () => resolve(new Wire(s)));
      s.once('error', reject);
    });
  }

  private listen(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
    s.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until<T>(take: () => T | null, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = take();
      if (v !== null) return v;
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** One reply line without CRLF. */
  line(timeoutMs?: number): Promise<string> {
    return this.until(() => {
      const i = this.buf.indexOf('\r\n');
      if (i < 0) return null;
      const l = this.buf.subarray(0, i).toString('latin1');
      this.buf = this.buf.subarray(i + 2);
      return l;
    }, timeoutMs);
  }

  /** The body of a multi-line reply (after its first line) up to and excluding ".\r\n", exactly as sent. */
  multi(): Promise<Buffer> {
    return this.until(() => {
      if (this.buf.subarray(0, 3).equals(Buffer.from('.\r\n'))) {
        this.buf = this.buf.subarray(3);
        return Buffer.alloc(0);
      }
      const i = this.buf.indexOf('\r\n.\r\n');
      if (i < 0) return null;
      const body = this.buf.subarray(0, i + 2);
      this.buf = this.buf.subarray(i + 5);
      return body;
    }, 20_000);
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends a command line and returns the first reply line. */
  async cmd(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    return this.line();
  }

  /** Sends a command whose +OK reply is multi-line; returns [first line, body lines]. */
  async cmdMulti(line: string): Promise<[string, string[]]> {
    const first = await this.cmd(line);
    if (!first.startsWith('+OK')) return [first, []];
    const body = (await this.multi()).toString('latin1');
    return [first, body === '' ? [] : body.slice(0, -2).split('\r\n')];
  }

  async startTls(ca: string): Promise<void> {
    const first = await this.cmd('STLS');
    if (!first.startsWith('+OK')) throw new Error(first);
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, ca: [ca], servername: 'mx.test' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buf = Buffer.alloc(0);
    this.listen(secure);
  }

  /** Waits for the server to close the connection. */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    await this.until(() => (this.closed ? true : null), timeoutMs).catch((e: unknown) => {
      if (!this.closed) throw e;
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Delivers raw messages to the account's INBOX as local delivery does (body stored once, parsed, with the
 * per-recipient Return-Path/Delivered-To prefix); returns their UIDs.
 */
export async function seedInbox(store: Store, address: string, messages: Array<string | Buffer>, sender = 'alice@example.net'): Promise<number[]> {
  const account = await store.getAccount(address);
  if (account === null) throw new Error(`no account ${address}`);
  const uids: number[] = [];
  for (const m of messages) {
    const raw = typeof m === 'string' ? Buffer.from(m) : m;
    const ref = await store.blobs.put(raw);
    const res = await store.deliver({ blobId: ref.id, size: ref.size, structure: parseMessage(raw) }, [
      { accountId: account.id, prefix: deliveryPrefix(sender, address) },
    ]);
    uids.push(...res.map((r) => r.uid));
  }
  return uids;
}
