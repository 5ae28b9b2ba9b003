/**
 * The text SEARCH SUBJECT scans (migration 6, table `body_subjects`): per body, the decoded values of every
 * top-level Subject field, each lower-cased (String.prototype.toLowerCase) and joined by "\n". It is a superset
 * filter: IMAP (search-eval.ts) still checks each candidate exactly with MessageFields.header, which parses the
 * same header bytes (0 to structure.headerEnd) and decodes with the same decodeWords, so a body's value contains
 * a lower-cased needle whenever one of its Subject values contains it case-insensitively.
 *
 * A body whose header block starts with a continuation line gets no row (after a message's per-recipient
 * prefix that line would continue the prefix's last field, so the body alone does not tell); nor does a body
 * whose header cannot be read. Missing rows are always candidates. Side effects: readHeaderSync reads a file.
 */

import { closeSync, openSync, readSync } from 'node:fs';
import { parseHeaderBlock } from '../../mail/headers.js';
import { decodeWords } from '../../mail/sort-keys.js';

/** The row's text for a body's header bytes: null when it has no Subject field, undefined when it gets no row. */
export function subjectSearchText(header: Buffer): string | null | undefined {
  if (header.length > 0 && (header[0] === 0x20 || header[0] === 0x09)) return undefined;
  const values = parseHeaderBlock(header)
    .filter((f) => f.name.toLowerCase() === 'subject')
    .map((f) => decodeWords(f.value).toLowerCase());
  return values.length === 0 ? null : values.join('\n');
}

/** Bytes 0..end of a file, or null when it cannot be read whole. */
export function readHeaderSync(path: string, end: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.allocUnsafe(end);
    let got = 0;
    while (got < end) {
      const n = readSync(fd, buf, got, end - got, got);
      if (n === 0) return null;
      got += n;
    }
    return buf;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
