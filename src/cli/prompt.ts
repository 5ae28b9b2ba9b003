/**
 * Reads a password without putting it on the command line: from an interactive prompt (no echo, asked twice)
 * when stdin is a TTY, otherwise the first line of stdin (for scripts: `echo pw | pochta user add ...`).
 */
import { UserError } from '../lib/errors.js';

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(buf);
    total += buf.length;
    const nl = buf.indexOf(0x0a);
    if (nl >= 0 || total > 4096) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const nl = text.indexOf('\n');
  return (nl >= 0 ? text.slice(0, nl) : text).replace(/\r$/, '');
}

function askHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (ch: string): void => {
      for (const c of ch) {
        if (c === '\r' || c === '\n') {
          cleanup();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (c === '\u0003') {
          cleanup();
          process.stderr.write('\n');
          reject(new UserError('cancelled'));
          return;
        }
        if (c === '\u007f' || c === '\b') value = value.slice(0, -1);
        else value += c;
      }
    };
    const cleanup = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

export async function readPassword(opts: { confirm: boolean }): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await askHidden('Password: ');
    if (opts.confirm) {
      const second = await askHidden('Repeat password: ');
      if (first !== second) throw new UserError('the two passwords differ: run the command again');
    }
    return first;
  }
  return readFirstLine(process.stdin);
}
