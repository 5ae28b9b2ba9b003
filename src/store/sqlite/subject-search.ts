/**
 * Reads the header bytes of a stored body, for migrations 6 and 8, which fill `body_subjects` and `body_header_texts`
 * (what SEARCH SUBJECT and FROM/TO/CC/BCC scan, computed by mail/search-text.ts subjectSearchText and
 * addressSearchTexts) for the bodies stored before them. New bodies bring those texts with their search text at
 * delivery, so nothing is read back then. Side effects: reads a file.
 */

import { closeSync, openSync, readSync } from 'node:fs';

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
