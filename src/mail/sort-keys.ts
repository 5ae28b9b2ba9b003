/**
 * The RFC 5256 SORT keys of a message that come from its envelope, computed once (at delivery, and by the
 * store's migration for older bodies) so that IMAP SORT reads them as columns instead of re-parsing every
 * Date and Subject: the sent date (RFC 5256 §3 DATE, before the INTERNALDATE fallback, which is per message),
 * the base subject (§2.1), the first From/To/Cc mailbox (§3 FROM/TO/CC) and the RFC 5957 display names.
 * String keys are lower-cased: the comparison is case-insensitive. Pure.
 */

import libmime from 'libmime';
import type { Envelope, EnvelopeAddress } from './structure.js';

/** RFC 2047 encoded-words decoded; the input unchanged when it cannot be decoded. */
export function decodeWords(s: string): string {
  try {
    return libmime.decodeWords(s);
  } catch {
    return s;
  }
}

/** The instant of an RFC 5322 date (comments removed), or null when it does not parse. */
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

/** RFC 5256 §3 FROM/TO/CC: the mailbox (local part) of the first address, lower-cased; '' when none. */
export function firstMailbox(list: readonly EnvelopeAddress[] | null): string {
  const a = list?.find((x) => x.host !== null);
  return (a?.mailbox ?? '').toLowerCase();
}

/** RFC 5957 §7 DISPLAYFROM/DISPLAYTO: the decoded display name of the first address, else its address. */
export function displayName(list: readonly EnvelopeAddress[] | null): string {
  const a = list?.find((x) => x.host !== null);
  if (!a) return '';
  const name = a.name ? decodeWords(a.name).trim() : '';
  return (name || `${a.mailbox ?? ''}@${a.host ?? ''}`).toLowerCase();
}

/** The envelope-derived sort keys of one body. */
export interface SortKeys {
  /** Date header as epoch ms; null when absent or unparsable (SORT then uses the INTERNALDATE). */
  sentDate: number | null;
  subject: string;
  from: string;
  to: string;
  cc: string;
  displayFrom: string;
  displayTo: string;
}

export function sortKeysOf(env: Envelope | null): SortKeys {
  return {
    sentDate: sentTime(env?.date ?? null),
    subject: baseSubject(env?.subject ?? null),
    from: firstMailbox(env?.from ?? null),
    to: firstMailbox(env?.to ?? null),
    cc: firstMailbox(env?.cc ?? null),
    displayFrom: displayName(env?.from ?? null),
    displayTo: displayName(env?.to ?? null),
  };
}
