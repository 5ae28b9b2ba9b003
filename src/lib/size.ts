/** Human sizes for the CLI and config: "0", "1024", "500K", "50M", "2G" (powers of 1024). */
import { UserError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!m) throw new UserError(`${what}: '${text}' is not a size; use a number of bytes or e.g. 500M, 2G`);
  const value = Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(value)) throw new UserError(`${what}: '${text}' is too large`);
  return value;
}

export function formatSize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [unit, factor] of [['T', 1024 ** 4], ['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= factor && bytes % (factor / 1024) === 0) {
      const v = bytes / factor;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`;
    }
  }
  return String(bytes);
}
