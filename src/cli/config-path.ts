/**
 * Where the config file is: `--config PATH`, else $POCHTA_CONFIG, else ./data/pochta.toml (the quick start's
 * default, created on first start).
 */
import { resolve } from 'node:path';

export const DEFAULT_CONFIG_PATH = 'data/pochta.toml';

export function resolveConfigPath(option: string | undefined): { path: string; isDefault: boolean } {
  if (option) return { path: resolve(option), isDefault: false };
  const env = process.env['POCHTA_CONFIG'];
  if (env) return { path: resolve(env), isDefault: false };
  return { path: resolve(DEFAULT_CONFIG_PATH), isDefault: true };
}
