/**
 * The POP-before-SMTP grants as a file, `<data_dir>/pop-before-smtp.json`, so that `pochta relay list` (another
 * process) sees what the server's in-memory registry (pop-before-smtp.ts) holds.
 *
 * Invariants: the file is replaced atomically (lib/fs-atomic.ts), never seen half-written; writes are
 * serialized and coalesced (at most one in flight and one pending, the pending one writes the latest list);
 * readers drop grants whose end has passed, so an expired grant is never shown even if the server has not
 * rewritten the file since. Format: `{"grants":[{"ip","login","until"}]}` with `until` in ISO 8601.
 * Side effects: file writes (save) and reads (load).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import type { PopBeforeSmtpGrant } from './pop-before-smtp.js';

export const GRANTS_FILE = 'pop-before-smtp.json';

export function grantsFilePath(dataDir: string): string {
  return join(dataDir, GRANTS_FILE);
}

/** Grants in the file still running at `now`, ending soonest first; [] when there is no file. */
export async function loadGrants(path: string, now: number = Date.now()): Promise<PopBeforeSmtpGrant[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const parsed = JSON.parse(text) as { grants?: unknown };
  const out: PopBeforeSmtpGrant[] = [];
  for (const g of Array.isArray(parsed.grants) ? (parsed.grants as unknown[]) : []) {
    if (typeof g !== 'object' || g === null) continue;
    const { ip, login, until } = g as Record<string, unknown>;
    if (typeof ip !== 'string' || typeof until !== 'string') continue;
    const end = new Date(until);
    if (!(end.getTime() > now)) continue;
    out.push({ ip, login: typeof login === 'string' ? login : '', until: end });
  }
  return out.sort((a, b) => a.until.getTime() - b.until.getTime());
}

/** Writes grant lists to one file in order, skipping lists superseded before their turn. */
export class GrantsFileWriter {
  private running: Promise<void> | null = null;
  private pending: (() => PopBeforeSmtpGrant[]) | null = null;

  constructor(
    private readonly path: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Schedules a write of `current()` (called when the write starts, so it is the latest list). */
  save(current: () => PopBeforeSmtpGrant[]): void {
    this.pending = current;
    if (this.running === null) this.running = this.drain();
  }

  /** Resolves when every scheduled write is done. */
  async flush(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending !== null) {
      const next = this.pending;
      this.pending = null;
      const grants = next().map((g) => ({ ip: g.ip, login: g.login, until: g.until.toISOString() }));
      try {
        await writeFileAtomic(this.path, `${JSON.stringify({ grants }, null, 1)}\n`, 0o640);
      } catch (e) {
        this.onError(e);
      }
    }
    this.running = null;
  }
}
