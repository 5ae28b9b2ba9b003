/**
 * The `Srs` of the current config ([srs] section): built on first use and again after `reload()` (SIGHUP) or
 * whenever the section, the hostname or the data directory change, reading (or creating) the secret file then. When SRS is
 * off, or the secret file cannot be read, the provider gives null (forwarding goes on without rewriting)
 * and `onError` is told once per config.
 *
 * Side effects: the secret file is read, or created (srs-secret.ts).
 */

import type { Config } from '../config/index.js';
import { Srs } from './srs.js';
import { loadOrCreateSrsSecrets } from './srs-secret.js';

/** The effective SRS settings of a config (defaults filled in). */
export function srsSettings(config: Config): { enabled: boolean; domain: string; secretFile: string; maxAgeDays: number } {
  return {
    enabled: config.srs.enabled,
    domain: config.srs.domain.toLowerCase(),
    secretFile: config.srs.secret_file,
    maxAgeDays: config.srs.max_age,
  };
}

export interface SrsSource {
  /** The Srs of the current config, or null (off, or no usable secret). */
  get(): Srs | null;
  /** Reads the secret file again at the next get() (SIGHUP: a rotated secret). */
  reload(): void;
}

export function srsProvider(getConfig: () => Config, onError: (err: Error) => void): SrsSource {
  let key = '';
  let current: Srs | null = null;
  const get = (): Srs | null => {
    const s = srsSettings(getConfig());
    const k = JSON.stringify(s);
    if (k === key) return current;
    key = k;
    current = null;
    if (!s.enabled) return null;
    try {
      current = new Srs({ secrets: loadOrCreateSrsSecrets(s.secretFile), domain: s.domain, maxAgeDays: s.maxAgeDays });
    } catch (e) {
      onError(e instanceof Error ? e : new Error(String(e)));
    }
    return current;
  };
  return {
    get,
    reload: () => {
      key = '';
    },
  };
}
