/**
 * LIST/LSUB pattern matching (RFC 9051 §6.3.9): `*` matches any run of characters, `%` any run without the
 * hierarchy separator. Matching is a linear-space dynamic programme, O(pattern × name), so hostile patterns
 * like `*%*%*%a` cannot blow up. INBOX matches case-insensitively. Pure.
 */

import { HIERARCHY_SEPARATOR, normalizeInbox } from './mailbox-name.js';

/**
 * RFC 9051 §6.3.9: the reference name and the pattern are joined; a pattern starting with the separator
 * is taken as absolute. We join with exactly one separator.
 */
export function combineReference(reference: string, pattern: string): string {
  if (reference === '' || pattern.startsWith(HIERARCHY_SEPARATOR)) return pattern;
  if (reference.endsWith(HIERARCHY_SEPARATOR)) return reference + pattern;
  return reference + HIERARCHY_SEPARATOR + pattern;
}

/** Does `name` match `pattern` (with `*` and `%`)? */
export function matchListPattern(pattern: string, name: string, separator = HIERARCHY_SEPARATOR): boolean {
  const p = normalizeInbox(pattern);
  const n = normalizeInbox(name);
  // prev[j]: does p[0..i) match n[0..j)?
  let prev = new Uint8Array(n.length + 1);
  prev[0] = 1;
  for (let i = 0; i < p.length; i++) {
    const pc = p[i]!;
    const cur = new Uint8Array(n.length + 1);
    if (pc === '*') {
      let any = 0;
      for (let j = 0; j <= n.length; j++) {
        any |= prev[j]!;
        cur[j] = any;
      }
    } else if (pc === '%') {
      let any = 0;
      for (let j = 0; j <= n.length; j++) {
        if (j > 0 && n[j - 1] === separator) any = 0;
        any |= prev[j]!;
        cur[j] = any;
      }
    } else {
      for (let j = 1; j <= n.length; j++) cur[j] = prev[j - 1]! && n[j - 1] === pc ? 1 : 0;
    }
    prev = cur;
  }
  return prev[n.length] === 1;
}

/**
 * True when some descendant of `name` could match the pattern, i.e. `name` + separator + more might match.
 * Used for RFC 5258 RECURSIVEMATCH / CHILDINFO and for RFC 3501's "%" parent listing.
 */
export function patternMayMatchChildren(pattern: string, name: string, separator = HIERARCHY_SEPARATOR): boolean {
  // A child name is name + sep + x (x non-empty); it matches iff some prefix of the pattern consumes exactly
  // name + sep and what is left can still match a non-empty x (remaining pattern, or a wildcard that extends).
  const p = normalizeInbox(pattern);
  const n = normalizeInbox(name) + separator;
  let prev = new Uint8Array(n.length + 1);
  prev[0] = 1;
  let anyFull = false;
  for (let i = 0; i < p.length; i++) {
    const pc = p[i]!;
    const cur = new Uint8Array(n.length + 1);
    if (pc === '*' || pc === '%') {
      let any = 0;
      for (let j = 0; j <= n.length; j++) {
        if (pc === '%' && j > 0 && n[j - 1] === separator) any = 0;
        any |= prev[j]!;
        cur[j] = any;
      }
    } else {
      for (let j = 1; j <= n.length; j++) cur[j] = prev[j - 1]! && n[j - 1] === pc ? 1 : 0;
    }
    if (cur[n.length] && (i < p.length - 1 || pc === '*' || pc === '%')) anyFull = true;
    prev = cur;
  }
  return anyFull;
}
