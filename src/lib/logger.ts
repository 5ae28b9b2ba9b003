/**
 * The process logger: pino, one JSON object per line (or one readable line with format "pretty"), to
 * stdout by default. Per-connection loggers are children: `log.child({ conn: newConnectionId() })`.
 *
 * Invariants: fields named password, pass, passwd, secret, authorization or relay_password (or with a
 * capital first letter) never reach the output: in a line's fields at the top level or nested in plain
 * objects and arrays up to six levels deep, and at the top level of a child's bindings, they print as
 * "[redacted]". Errors go under `err` (`log.error({ err }, 'what failed')`) and keep their stack.
 *
 * Side effects: writes to a file descriptor. With `sync: false` (the default, for throughput) pino flushes
 * pending lines at process exit; CLIs and tests pass `sync: true` so no line is lost or reordered.
 */
import { pino, type DestinationStream } from 'pino';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

/** What pochta's modules need of a logger; pino's Logger satisfies it, and so can a test double. */
export interface Logger {
  level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: string): boolean;
  flush(cb?: (err?: Error) => void): void;
}

export interface LoggerOptions {
  /** Least severe level written; "silent" writes nothing. Default "info". */
  level?: LogLevelName | 'silent';
  /** Where lines go: stdout (default), stderr, or an open file descriptor. */
  destination?: 'stdout' | 'stderr' | number;
  /** Write each line synchronously (CLIs, tests). Default false. */
  sync?: boolean;
  /** json (default) or pretty: `12:00:00.000 INFO  [conn=ab12cd] message key=value`. */
  format?: 'json' | 'pretty';
  /** Write lines to this sink instead of `destination` (tests capture lines this way). */
  stream?: { write(line: string): void };
  /** Fields added to every line. Default none (pino's pid and hostname are left out). */
  base?: Record<string, unknown>;
}

/** Field names whose values are never logged. */
export const REDACTED_KEYS: readonly string[] = ['password', 'pass', 'passwd', 'secret', 'authorization', 'relay_password'];
const REDACTED = new Set(REDACTED_KEYS.flatMap((k) => [k, k[0]!.toUpperCase() + k.slice(1)]));
const REDACT_DEPTH = 6;
const CENSOR = '[redacted]';

function isPlain(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `v` with every REDACTED key's value replaced, in plain objects and arrays down to REDACT_DEPTH; the
 * same object when nothing matches (the common case costs one walk and no copy). pino's own `redact`
 * needs one wildcard path per depth, which made every line about 20 times slower.
 */
export function redactSecrets<T>(v: T, depth = 0): T {
  if (depth > REDACT_DEPTH) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const r = redactSecrets(v[i] as unknown, depth + 1);
      if (r !== v[i]) (out ??= v.slice())[i] = r;
    }
    return (out ?? v) as T;
  }
  if (!isPlain(v)) return v;
  let out: Record<string, unknown> | undefined;
  for (const k in v) {
    const val = v[k];
    const r = REDACTED.has(k) ? CENSOR : redactSecrets(val, depth + 1);
    if (r !== val) (out ??= { ...v })[k] = r;
  }
  return (out ?? v) as T;
}

const LEVEL_LABELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function prettyValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/** One readable line (plus the stack of an `err`) from one of pino's JSON lines. */
export function formatPrettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, msg, conn, err, ...rest } = rec;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const lvl = (LEVEL_LABELS[level as number] ?? String(level)).padEnd(5);
  let line = `${t} ${lvl}`;
  if (conn !== undefined) line += ` [conn=${String(conn)}]`;
  if (msg !== undefined) line += ` ${String(msg)}`;
  for (const [k, v] of Object.entries(rest)) line += ` ${k}=${prettyValue(v)}`;
  if (err && typeof err === 'object') {
    const e = err as { stack?: unknown; message?: unknown };
    line += `\n    ${String(e.stack ?? e.message ?? JSON.stringify(err)).replace(/\n/g, '\n    ')}`;
  }
  return `${line}\n`;
}

function fdOf(destination: LoggerOptions['destination']): number {
  if (destination === undefined || destination === 'stdout') return 1;
  if (destination === 'stderr') return 2;
  return destination;
}

/** Creates the root logger; make one per process and hand children to the modules. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  let stream: DestinationStream & { flush?: (cb: (err?: Error) => void) => void };
  if (opts.stream) {
    const sink = opts.stream;
    stream = opts.format === 'pretty' ? { write: (s: string) => sink.write(formatPrettyLine(s)) } : sink;
  } else {
    const out = pino.destination({ dest: fdOf(opts.destination), sync: opts.sync ?? false });
    stream =
      opts.format === 'pretty'
        ? { write: (s: string) => void out.write(formatPrettyLine(s)), flush: (cb) => out.flush(cb) }
        : out;
  }
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? null,
      // Line fields: redactSecrets (any depth). Child bindings skip pino's formatters, so top-level
      // secret names in bindings go through pino's redact, which costs little without wildcards.
      formatters: { log: (o) => redactSecrets(o) },
      redact: { paths: [...REDACTED], censor: CENSOR },
    },
    stream,
  );
}
