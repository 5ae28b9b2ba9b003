/**
 * Real POP3 clients for the end-to-end tests (test/e2e/pop3-*.test.ts), run as child processes against the
 * in-process server on 127.0.0.1: Python's poplib (a script given on stdin), curl, fetchmail and getmail6
 * (Debian packages). `available(cmd)` lets a test skip when a client is not installed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, encoding: 'latin1' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

export function available(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface TempDir {
  dir: string;
  path: (name: string) => string;
  write: (name: string, content: string | Buffer, mode?: number) => Promise<string>;
  cleanup: () => Promise<void>;
}

export async function tempDir(prefix = 'pochta-pop3-e2e-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    async write(name, content, mode = 0o600) {
      const p = join(dir, name);
      await writeFile(p, content, { mode });
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Runs a Python script that talks POP3 with poplib and prints one JSON object; `args` reach it as the JSON
 * in sys.argv[1].
 */
export async function poplib(script: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await run('python3', ['-c', script, JSON.stringify(args)]);
  if (r.code !== 0) throw new Error(`python3 failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
