/**
 * Mailbox names on the wire and in the store. The hierarchy separator is `/`. `fromWireMailbox` turns the
 * astring a client sent into the stored name (modified UTF-7 decoded unless UTF8=ACCEPT is on, RFC 6855 §3;
 * INBOX case-folded, RFC 9051 §5.1); `toWireMailbox` does the reverse for responses.
 * `validateNewMailboxName` is the stricter check for names that will be created (CREATE, RENAME target).
 * Pure; errors are ParseError('invalid-mailbox' | 'invalid-mutf7').
 */

import { ParseError } from './errors.js';
import { decodeMutf7, encodeMutf7 } from './mutf7.js';

export const HIERARCHY_SEPARATOR = '/';

/** Max length in UTF-16 units of a stored name; long enough for any real client. */
export const MAX_MAILBOX_NAME_LENGTH = 1024;

/** RFC 9051 §5.1: INBOX is case-insensitive; `inbox/x` is kept as `INBOX/x` so children stay under it. */
export function normalizeInbox(name: string): string {
  if (name.length < 5 || name.slice(0, 5).toUpperCase() !== 'INBOX') return name;
  if (name.length === 5) return 'INBOX';
  if (name[5] === HIERARCHY_SEPARATOR) return 'INBOX' + name.slice(5);
  return name;
}

/** Decodes a wire name (mUTF-7 unless `utf8` is on) and normalises INBOX. */
export function fromWireMailbox(wire: string, opts: { utf8?: boolean } = {}): string {
  const name = opts.utf8 ? wire : decodeMutf7(wire);
  return normalizeInbox(name);
}

/** Encodes a stored name for a response (mUTF-7 unless `utf8`). */
export function toWireMailbox(name: string, opts: { utf8?: boolean } = {}): string {
  return opts.utf8 ? name : encodeMutf7(name);
}

function bad(msg: string): never {
  throw new ParseError('invalid-mailbox', msg);
}

/**
 * Checks a (decoded) name that is about to be created: non-empty, no control characters, no empty hierarchy
 * level (`a//b`, leading or trailing `/`), no `.`/`..` level, no wildcard `%`/`*` (RFC 3501 §6.3.3: names
 * with wildcards could not be listed unambiguously), bounded length.
 */
export function validateNewMailboxName(name: string): void {
  if (name.length === 0) bad('Empty mailbox name');
  if (name.length > MAX_MAILBOX_NAME_LENGTH) bad('Mailbox name too long');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) bad('Control character in mailbox name');
    if (c === 0x25 || c === 0x2a) bad('Mailbox name may not contain % or *');
  }
  validateMailboxPath(name);
}

/** The looser check for any name that is used (SELECT, DELETE...): the hierarchy shape and no controls. */
export function validateMailboxPath(name: string): void {
  if (name.length === 0) bad('Empty mailbox name');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) bad('Control character in mailbox name');
  }
  if (name.startsWith(HIERARCHY_SEPARATOR) || name.endsWith(HIERARCHY_SEPARATOR)) {
    bad('Mailbox name may not start or end with the hierarchy separator');
  }
  for (const level of name.split(HIERARCHY_SEPARATOR)) {
    if (level === '') bad('Empty hierarchy level in mailbox name');
    if (level === '.' || level === '..') bad('"." and ".." are not valid mailbox name levels');
  }
}

/** The ancestors of a name, nearest last: `a/b/c` → [`a`, `a/b`]. */
export function mailboxAncestors(name: string): string[] {
  const parts = name.split(HIERARCHY_SEPARATOR);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(HIERARCHY_SEPARATOR));
  return out;
}
