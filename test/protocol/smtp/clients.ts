/**
 * Real SMTP clients for the end-to-end tests: swaks (Debian package, scripts/install-test-deps.sh) and
 * Python's smtplib driven by test/fixtures/smtp/smtplib-client.py. Both run as child processes against
 * the in-process server on 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], input?: string, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A temp dir holding a file (message data, CA certificate), removed by `cleanup`. */
export async function tempFiles(files: Record<string, string | Buffer>): Promise<{ path: (name: string) => string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pochta-smtp-e2e-'));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return { path: (name) => join(dir, name), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface SwaksOptions {
  port: number;
  from: string;
  to: string | string[];
  /** Path of a file with the whole message. */
  dataFile?: string;
  /** STARTTLS, verifying the server certificate against this CA file. */
  tlsCaFile?: string;
  localInterface?: string;
  ehlo?: string;
  extra?: string[];
}

export function swaks(o: SwaksOptions): Promise<RunResult> {
  const args = ['--server', '127.0.0.1', '--port', String(o.port), '--from', o.from, '--to', [o.to].flat().join(','), '--helo', o.ehlo ?? 'client.example'];
  if (o.dataFile) args.push('--data', o.dataFile);
  if (o.tlsCaFile) args.push('--tls', '--tls-verify', '--tls-ca-path', o.tlsCaFile);
  if (o.localInterface) args.push('--local-interface', o.localInterface);
  args.push('--timeout', '10', ...(o.extra ?? []));
  return run('swaks', args);
}

export const SMTPLIB_CLIENT = fileURLToPath(new URL('../../fixtures/smtp/smtplib-client.py', import.meta.url));

/** Runs the smtplib fixture with a JSON job (see the script for the fields); its stdout is JSON. */
export async function smtplib(job: Record<string, unknown>): Promise<{ result: Record<string, unknown>; raw: RunResult }> {
  const raw = await run('python3', [SMTPLIB_CLIENT], JSON.stringify(job));
  let result: Record<string, unknown> = {};
  try {
    result = JSON.parse(raw.stdout) as Record<string, unknown>;
  } catch {
    result = { parseError: raw.stdout, stderr: raw.stderr };
  }
  return { result, raw };
}
