/** A minimal line-oriented TCP client for directory protocol tests: send a line, read until a pattern. */
import { connect, type Socket } from 'node:net';

export class LineClient {
  private buf = '';
  private waiter: (() => void) | null = null;
  private ended = false;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    sock.on('error', () => undefined);
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  /** Everything received up to and including the first line matching `re` (consumed). */
  async until(re: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buf.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        if (re.test(lines[i] as string)) {
          const out = lines.slice(0, i + 1).join('\r\n');
          this.buf = lines.slice(i + 1).join('\r\n');
          return out;
        }
      }
      if (this.ended) throw new Error(`connection closed while waiting for ${re}; got ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; got ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  send(line: string): void {
    this.sock.write(`${line}\r\n`);
  }

  /** Sends a line and reads through the first line matching `re`. */
  async cmd(line: string, re: RegExp): Promise<string> {
    this.send(line);
    return this.until(re);
  }

  close(): void {
    this.sock.destroy();
  }
}

export function plain(user: string, pass: string): string {
  return Buffer.from(`\0${user}\0${pass}`).toString('base64');
}
