/**
 * Decoded views of a stored message for SEARCH, SORT and THREAD: header values with RFC 2047 words
 * decoded, the Date header's calendar day, the decoded text of the body (search-text.ts), and the RFC 5256
 * base subject. Header bytes are read once per message (prefix + top header block) and cached.
 */

import libmime from 'libmime';
import { parseHeaderBlock, type HeaderField } from '../../../mail/headers.js';
import { extractSearchText } from '../../../mail/search-text.js';
import type { BlobStore, StoredMessage } from '../../../store/types.js';

export function decodeWords(s: string): string {
  try {
    return libmime.decodeWords(s);
  } catch {
    return s;
  }
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

/** The calendar day of an RFC 5322 date as written (its own zone, RFC 9051 §6.4.4 "disregarding time and timezone"). */
export function sentDay(date: string | null): { year: number; month: number; day: number } | null {
  if (!date) return null;
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(date);
  if (!m) return null;
  const month = MONTHS[m[2]!.toLowerCase()];
  if (!month) return null;
  let year = Number(m[3]);
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900; // RFC 5322 §4.3 obsolete two/three-digit years
  return { year, month, day: Number(m[1]) };
}

/** The instant of an RFC 5322 date, or null. */
export function sentTime(date: string | null): number | null {
  if (!date) return null;
  const t = Date.parse(date.replace(/\([^)]*\)/g, '').trim());
  return Number.isNaN(t) ? null : t;
}

/**
 * RFC 5256 §2.1 base subject: decoded, whitespace collapsed, trailing "(fwd)" and leading "Re:", "Fwd:",
 * "[blob]" removed repeatedly, "[Fwd: ...]" unwrapped; compared case-insensitively (lower-cased here).
 */
export function baseSubject(raw: string | null): string {
  let s = decodeWords(raw ?? '').replace(/\s+/g, ' ').trim();
  for (;;) {
    let changed = true;
    while (changed) {
      changed = false;
      const t = s.replace(/\s*\(fwd\)\s*$/i, '');
      if (t !== s) {
        s = t;
        changed = true;
      }
    }
    changed = true;
    while (changed) {
      changed = false;
      const re = /^(?:re|fwd?)\s*(?:\[[^[\]]*\])?\s*:\s*/i.exec(s);
      if (re) {
        s = s.slice(re[0].length);
        changed = true;
        continue;
      }
      const blob = /^\[[^[\]]*\]\s*/.exec(s);
      if (blob && blob[0].length < s.length) {
        s = s.slice(blob[0].length);
        changed = true;
      }
    }
    const fwd = /^\[fwd:\s*(.*)\]$/i.exec(s);
    if (fwd) {
      s = fwd[1]!.trim();
      continue;
    }
    return s.toLowerCase();
  }
}

export class MessageFields {
  private headers: HeaderField[] | null = null;
  private text: { headers: string; body: string } | null = null;

  constructor(
    private readonly blobs: BlobStore,
    readonly msg: StoredMessage,
  ) {}

  async headerFields(): Promise<HeaderField[]> {
    if (!this.headers) {
      const h = await this.blobs.readRange(this.msg.blobId, 0, this.msg.structure.headerEnd);
      this.headers = parseHeaderBlock(Buffer.concat([Buffer.from(this.msg.prefix, 'utf8'), h]));
    }
    return this.headers;
  }

  /** Decoded values of every field called `name`. */
  async header(name: string): Promise<string[]> {
    const lower = name.toLowerCase();
    return (await this.headerFields()).filter((f) => f.name.toLowerCase() === lower).map((f) => decodeWords(f.value));
  }

  /** Decoded header and body text (RFC 9051 §6.4.4 BODY/TEXT match on decoded text). */
  async decodedText(): Promise<{ headers: string; body: string }> {
    if (!this.text) {
      const raw = await this.blobs.read(this.msg.blobId);
      const t = extractSearchText(raw, this.msg.structure);
      this.text = { headers: this.msg.prefix + t.headers, body: t.body };
    }
    return this.text;
  }
}
