/**
 * Reads pochta.toml: TOML syntax (smol-toml), then the schema (schema.ts), then relative paths resolved
 * against the file's directory.
 *
 * Every mistake becomes ONE `UserError` line naming the file, the key path and the reason:
 *   `pochta.toml: listeners[2].port: must be an integer 1-65535 (got 70000)`
 *   `pochta.toml:3:9: TOML syntax error: invalid value`
 * Only the first problem is reported (the admin fixes it and runs again, like `postfix check`).
 *
 * Side effects: `loadConfig` reads one file; `parseConfig` is pure apart from os.hostname().
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type * as z from 'zod';
import { UserError } from '../lib/errors.js';
import { configSchema, defaultListeners, describeConfig, type Config } from './schema.js';

/** Reads and validates a config file; a missing file suggests `pochta init`. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError(`${path}: no such config file; create one with \`pochta init\` or pass --config <file>`, {
        cause: e,
      });
    }
    throw new UserError(`${path}: cannot read the config file (${code ?? (e as Error).message})`, { cause: e });
  }
  return parseConfig(text, path);
}

export interface DefaultConfigOptions {
  hostname?: string;
  /** Default "./data", resolved against `baseDir`. */
  dataDir?: string;
  /** Added to the default listener ports. */
  portOffset?: number;
  /** Directory relative paths are resolved against; default the current directory. */
  baseDir?: string;
}

/** The configuration of an empty file (tests and tools adjust it: ports 0, temp data_dir, ...). */
export function defaultConfig(opts: DefaultConfigOptions = {}): Config {
  const server: Record<string, string> = {};
  if (opts.hostname !== undefined) server.hostname = opts.hostname;
  if (opts.dataDir !== undefined) server.data_dir = opts.dataDir;
  const config = configSchema.parse({ server, listeners: defaultListeners(opts.portOffset ?? 0) });
  return resolvePaths(config, resolve(opts.baseDir ?? '.'));
}

/** Validates the text of a config file; `file` names it in errors and anchors relative paths. */
export function parseConfig(text: string, file: string): Config {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
      throw new UserError(`${file}:${e.line}:${e.column}: TOML syntax error: ${reason}`, { cause: e });
    }
    throw e;
  }
  const result = configSchema.safeParse(doc, { reportInput: true });
  if (!result.success) {
    throw new UserError(`${file}: ${formatIssue(result.error.issues[0]!)}`, { cause: result.error });
  }
  return resolvePaths(result.data, dirname(resolve(file)));
}

/** Makes data_dir, tls.cert, tls.key, srs.secret_file, queue.relay_tls_ca, directory.ldap_tls_ca and unix: listener addresses absolute, relative to `baseDir`. */
export function resolvePaths(config: Config, baseDir: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...config,
    server: { ...config.server, data_dir: abs(config.server.data_dir) },
    tls: { ...config.tls, cert: abs(config.tls.cert), key: abs(config.tls.key) },
    srs: { ...config.srs, secret_file: abs(config.srs.secret_file) },
    queue: config.queue.relay_tls_ca === undefined ? config.queue : { ...config.queue, relay_tls_ca: abs(config.queue.relay_tls_ca) },
    // "" means the system CAs and stays "".
    directory: config.directory.ldap_tls_ca === '' ? config.directory : { ...config.directory, ldap_tls_ca: abs(config.directory.ldap_tls_ca) },
    listeners: config.listeners.map((l) =>
      l.address.startsWith('unix:') ? { ...l, address: `unix:${abs(l.address.slice(5))}` } : l,
    ),
  };
}

/** `['listeners', 2, 'port']` → `listeners[2].port`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function formatInput(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const s = String(v);
    return s === '[object Object]' ? 'a table' : s; // smol-toml dates print as TOML
  }
  return typeof v;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const k = issue.keys[0]!;
    const where = formatKeyPath([...issue.path, k]);
    return `${where}: ${unknownKeyReason(issue.path, k)}`;
  }
  const where = formatKeyPath(issue.path) || '(top level)';
  const input: unknown = 'input' in issue ? issue.input : undefined;
  // A key absent from the file with no default arrives with no input.
  if (issue.code !== 'custom' && input === undefined) return `${where}: missing (${issue.message})`;
  // Cross-key checks (custom issues) carry the enclosing table as input: not worth printing.
  const got = input === undefined || (issue.code === 'custom' && typeof input === 'object') ? '' : ` (got ${formatInput(input)})`;
  return `${where}: ${issue.message}${got}`;
}

function unknownKeyReason(parent: readonly PropertyKey[], k: string): string {
  if (parent.length === 0 && k === 'domains') {
    return 'unknown key (domains live in the database: use `pochta domain add`)';
  }
  const prefix = parent.length === 0 ? '' : `${parent.map((p) => (typeof p === 'number' ? '[]' : String(p))).join('.').replace(/\.\[\]/g, '[]')}.`;
  const known =
    parent.length === 0
      ? describeConfig().map((s) => s.name)
      : describeConfig()
          .flatMap((s) => s.keys)
          .filter((d) => d.path.startsWith(prefix) && !d.path.slice(prefix.length).includes('.'))
          .map((d) => d.key);
  const best = known
    .map((c) => ({ c, d: editDistance(c, k) }))
    .filter((x) => x.d <= Math.max(1, Math.floor(k.length / 4)))
    .sort((a, b) => a.d - b.d)[0];
  return best ? `unknown key (did you mean "${best.c}"?)` : 'unknown key';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
