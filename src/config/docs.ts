/**
 * Presentation of the schema's key docs: defaults with units for people, and the Markdown reference
 * (docs/configuration.md) that `scripts/gen-config-docs.ts` writes and a unit test keeps in sync.
 *
 * Pure: no I/O.
 */
import { defaultListeners, describeConfig, type ConfigKeyDoc } from './schema.js';

/** "432_000 seconds (5 days)", "52_428_800 bytes (50 MiB)": a default with its unit, for people. */
export function defaultWithUnit(d: ConfigKeyDoc): string {
  if (d.defaultToml === undefined || d.unit === undefined) return d.defaultDoc;
  const n = Number(d.defaultToml.replace(/_/g, ''));
  let human = '';
  if (d.unit === 'seconds' && n >= 3600) {
    human = n % 86_400 === 0 ? `${n / 86_400} days` : n % 3600 === 0 ? `${n / 3600} hours` : '';
  } else if (d.unit === 'seconds' && n >= 60 && n % 60 === 0) {
    human = `${n / 60} minutes`;
  } else if (d.unit === 'bytes' && n >= 1024 * 1024 && n % (1024 * 1024) === 0) {
    human = `${n / (1024 * 1024)} MiB`;
  }
  return `${d.defaultToml} ${d.unit}${human && ` (${human.replace(/^1 (\w+)s$/, '1 $1')})`}`;
}


/** Escapes a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(s: string): string {
  return `\`${s}\``;
}

function keyRow(d: ConfigKeyDoc): string {
  // Outside code spans "<data_dir>" would read as an HTML tag.
  const described = d.defaultDoc.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const dflt = d.required ? '*required*' : d.defaultToml !== undefined ? code(defaultWithUnit(d)) : `*${described}*`;
  return `| ${code(d.key)} | ${cell(d.type)} | ${cell(dflt)} | ${cell(d.doc)} |`;
}

/** The whole of docs/configuration.md. */
export function renderConfigMarkdown(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand: a unit test',
    '     fails when this file and the schema disagree. -->',
    '',
    'pochta reads one TOML file (`pochta.toml`). `pochta init` writes a commented one with every key and',
    'its default; the first `pochta serve` writes it too when none exists. Every key is optional unless',
    'marked *required*. Relative paths (`data_dir`, `cert`, `key`, `unix:` sockets) are relative to the',
    "directory of the config file. Unknown keys, wrong types and impossible values stop the server with one",
    'line naming the file, the key and the reason, e.g.',
    '',
    '```',
    'pochta.toml: listeners[2].port: must be an integer 1-65535 (got 70000)',
    '```',
    '',
    'SIGHUP reloads the file; an invalid file leaves the running configuration in place and logs why.',
    'Domains, users and aliases are not configured here: they live in the database (`pochta domain`,',
    '`pochta user`, `pochta alias`).',
    '',
    'Integers may use TOML separators (`52_428_800`). Durations are in seconds unless the type says otherwise.',
  ];
  for (const section of describeConfig()) {
    out.push('', section.array ? `## [[${section.name}]]` : `## [${section.name}]`, '', section.doc, '');
    out.push('| Key | Type | Default | Description |', '|---|---|---|---|');
    for (const d of section.keys) out.push(keyRow(d));
    if (section.array && section.name === 'listeners') {
      out.push(
        '',
        'Without any `[[listeners]]` table pochta listens on these sockets. When it is not started as root,',
        '`pochta init` writes them with 10000 added to each port (10025, 10587, ...).',
        '',
        '| protocol | address | port | tls |',
        '|---|---|---|---|',
        ...defaultListeners(0).map((l) => `| ${l.protocol} | ${code(l.address)} | ${l.port} | ${l.tls} |`),
        '',
        'Example:',
        '',
        '```toml',
        '[[listeners]]',
        'protocol = "smtp"',
        'address = "::"',
        'port = 25',
        'tls = "starttls"',
        'ptr_check = "match"',
        'ptr_action = "tag"',
        '',
        '[[listeners]]',
        'protocol = "lmtp"',
        'address = "unix:/run/pochta/lmtp.sock"',
        '```',
      );
    }
  }
  return `${out.join('\n')}\n`;
}
