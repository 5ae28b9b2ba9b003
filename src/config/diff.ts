/**
 * `diffConfig(old, new)`: which keys changed between two parsed configs, for SIGHUP reload (the caller
 * decides what it can apply live: listeners, limits, policies). Pure.
 *
 * Paths are `section.key` (`smtp.max_recipients`); listeners compare as one list (`listeners`), since a
 * reload rebinds the set of sockets as a whole.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './schema.js';

export function diffConfig(before: Config, after: Config): string[] {
  const changed: string[] = [];
  for (const section of Object.keys(after) as (keyof Config)[]) {
    const a = before[section] as unknown;
    const b = after[section] as unknown;
    if (Array.isArray(b) || Array.isArray(a)) {
      if (!isDeepStrictEqual(a, b)) changed.push(section);
      continue;
    }
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      if (!isDeepStrictEqual(ra[k], rb[k])) changed.push(`${section}.${k}`);
    }
  }
  return changed;
}
