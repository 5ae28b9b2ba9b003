/**
 * Renders the commented pochta.toml that `pochta init` and the first start write, from the schema.
 *
 * Invariants: every key of the schema appears with its doc line and default; the text parses back to the
 * defaults (with the given hostname, data_dir and listener ports). Keys with a literal default are written
 * active; keys whose default is computed from other keys (group, cert, key, greeting, max_literal_size)
 * are written commented out with their effective value, so they keep following those keys; keys with no
 * default are commented out with an example. The default listeners are written as real [[listeners]].
 *
 * Pure (reads os.hostname() when no hostname is given).
 */
import { hostname as osHostname } from 'node:os';
import {
  configSchema,
  defaultListeners,
  describeConfig,
  tomlValue,
  type ConfigKeyDoc,
  type Listener,
} from './schema.js';
import { defaultWithUnit } from './docs.js';
import { isHostname } from './validators.js';

export interface ExampleConfigOptions {
  /** [server].hostname; default os.hostname(). */
  hostname?: string;
  /** Added to every default listener port (non-root runs use 10000). */
  portOffset?: number;
  /** [server].data_dir as written (relative paths are relative to the config file); default "./data". */
  dataDir?: string;
}

function docLine(d: ConfigKeyDoc): string {
  const dflt = d.required ? 'Required.' : d.defaultDoc === 'none' ? 'No default.' : `Default: ${defaultWithUnit(d)}.`;
  return `# ${d.doc} ${dflt}`;
}

function listenerLines(l: Listener): string[] {
  const lines = [
    '[[listeners]]',
    `protocol = ${tomlValue(l.protocol)}`,
    `address = ${tomlValue(l.address)}`,
    `port = ${tomlValue(l.port)}`,
    `tls = ${tomlValue(l.tls)}`,
  ];
  if (l.protocol === 'smtp') lines.push(`ptr_check = ${tomlValue(l.ptr_check)}`, `ptr_action = ${tomlValue(l.ptr_action)}`);
  if (l.allow_plaintext_auth) lines.push('allow_plaintext_auth = true');
  return lines;
}

/** The commented example configuration file. */
export function renderExampleConfig(opts: ExampleConfigOptions = {}): string {
  const host = opts.hostname ?? osHostname();
  const server: Record<string, string> = { data_dir: opts.dataDir ?? './data' };
  if (isHostname(host)) server.hostname = host;
  // The effective values, computed defaults included (paths stay as written: relative to the file).
  const effective = configSchema.parse({ server }) as unknown as Record<string, Record<string, unknown>>;

  const out: string[] = [
    '# pochta configuration (TOML). Written by `pochta init`; reference: docs/configuration.md.',
    '# Every key is shown with its default. "#key = value" lines show a default computed from other keys:',
    '# uncomment one to set it. Domains, users and aliases live in the database: see `pochta --help`.',
    '# Reload with SIGHUP (`kill -HUP <pid>`); an invalid file leaves the running configuration in place.',
  ];
  for (const section of describeConfig()) {
    out.push('', `# ${section.doc}`);
    if (section.array) {
      out.push(`# Keys of a [[${section.name}]] table:`);
      for (const d of section.keys) out.push(`#   ${d.key}: ${docLine(d).slice(2)}`);
      for (const l of defaultListeners(opts.portOffset ?? 0)) out.push('', ...listenerLines(l));
      out.push(
        '',
        '# An LMTP socket (for a content filter or another MTA) would be:',
        '# [[listeners]]',
        '# protocol = "lmtp"',
        '# address = "unix:/run/pochta/lmtp.sock"',
      );
      continue;
    }
    out.push(`[${section.name}]`);
    for (const d of section.keys) {
      const value = effective[section.name]![d.key];
      out.push(docLine(d));
      const given = section.name === 'server' && d.key in server;
      if (d.defaultToml !== undefined || given) {
        out.push(`${d.key} = ${tomlValue(value)}`);
      } else if (value !== undefined) {
        out.push(`#${d.key} = ${tomlValue(value)}`);
      } else {
        out.push(`#${d.key} = ${d.example ?? '""'}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}
