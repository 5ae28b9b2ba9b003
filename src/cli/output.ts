/**
 * CLI output: readable aligned tables for people, `--json` for scripts. Nothing here knows about mail.
 */

export type Row = Record<string, string | number | boolean | null>;

export interface Output {
  /** Prints rows as a table (or a JSON array with --json). */
  table(rows: Row[], columns: string[]): void;
  /** Prints one object (JSON) or a one-line message (text). */
  result(obj: Row | Row[], text: string): void;
}

function formatCell(v: string | number | boolean | null): string {
  if (v === null) return '-';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

export function renderTable(rows: Row[], columns: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c] ?? null)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]): string => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

export function createOutput(json: boolean, write: (s: string) => void = (s) => process.stdout.write(s)): Output {
  return {
    table(rows, columns) {
      if (json) write(JSON.stringify(rows, null, 2) + '\n');
      else write(renderTable(rows, columns));
    },
    result(obj, text) {
      if (json) write(JSON.stringify(obj, null, 2) + '\n');
      else write(text + '\n');
    },
  };
}
