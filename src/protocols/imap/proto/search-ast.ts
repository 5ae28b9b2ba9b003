/**
 * SEARCH criteria (RFC 3501 §6.4.4, RFC 9051 §6.4.4, RFC 7162 §3.1.5 MODSEQ, RFC 5032 OLDER/YOUNGER,
 * RFC 5182 `$`) as a typed tree, and the parser from a command cursor to that tree.
 * Invariants: a top-level key list is one `and`; nesting (parentheses, NOT, OR) is bounded by `maxDepth`;
 * only UTF-8 and US-ASCII charsets are accepted, others throw ParseError('bad-charset') with status NO and
 * code `BADCHARSET (UTF-8 US-ASCII)`. Pure.
 */

import { ParseError } from './errors.js';
import { parseImapDay, type ImapDay } from './dates.js';
import { parseSequenceSet, type SequenceSet } from './sequence-set.js';
import { decodeUtf8, type Cursor } from './tokenizer.js';

export type SystemFlagKey = '\\Answered' | '\\Deleted' | '\\Draft' | '\\Flagged' | '\\Seen';

export type SearchKey =
  | { kind: 'all' }
  /** A flag test; `present` false for UNANSWERED, UNKEYWORD x, ... */
  | { kind: 'flag'; flag: string; present: boolean }
  /** RFC 3501 RECENT (present) / OLD (not present). NEW is and(recent, not seen). */
  | { kind: 'recent'; present: boolean }
  /** BCC, CC, FROM, SUBJECT, TO map to their header with `field` lower-cased; HEADER keeps the name given. */
  | { kind: 'header'; field: string; value: string }
  | { kind: 'body'; value: string }
  | { kind: 'text'; value: string }
  /** internal = BEFORE/ON/SINCE (INTERNALDATE), sent = SENTBEFORE/SENTON/SENTSINCE (Date: header). */
  | { kind: 'date'; field: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; day: ImapDay }
  | { kind: 'size'; op: 'larger' | 'smaller'; size: number }
  /** RFC 5032: OLDER/YOUNGER n seconds relative to now (INTERNALDATE). */
  | { kind: 'age'; op: 'older' | 'younger'; seconds: number }
  | { kind: 'seq'; set: SequenceSet }
  | { kind: 'uid'; set: SequenceSet }
  /** RFC 7162 §3.1.5: messages with modseq ≥ value; entry/type are parsed and may be ignored. */
  | { kind: 'modseq'; modseq: number; entry: { name: string; type: 'priv' | 'shared' | 'all' } | null }
  | { kind: 'not'; key: SearchKey }
  | { kind: 'or'; left: SearchKey; right: SearchKey }
  | { kind: 'and'; keys: SearchKey[] };

export interface SearchProgram {
  /** Upper-cased charset as given, or null when absent. */
  charset: string | null;
  key: SearchKey;
}

export interface SearchParseOptions {
  /** Max nesting of parentheses / NOT / OR; default 32. */
  maxDepth?: number;
}

export const SUPPORTED_CHARSETS = ['UTF-8', 'US-ASCII'] as const;

/** Throws the BADCHARSET error unless the charset is UTF-8 or US-ASCII (RFC 9051 §6.4.4). */
export function checkCharset(charset: string): string {
  const up = charset.toUpperCase();
  if (up !== 'UTF-8' && up !== 'US-ASCII') {
    throw new ParseError('bad-charset', `Unsupported charset ${charset.slice(0, 40)}`, {
      status: 'NO',
      code: `BADCHARSET (${SUPPORTED_CHARSETS.join(' ')})`,
    });
  }
  return up;
}

const SIMPLE_FLAGS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

const HEADER_KEYS: Record<string, string> = { BCC: 'bcc', CC: 'cc', FROM: 'from', SUBJECT: 'subject', TO: 'to' };
const DATE_KEYS: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
};

/** RFC 9051 §9 date = date-text / DQUOTE date-text DQUOTE. */
function readDate(c: Cursor): ImapDay {
  if (c.is('"')) return parseImapDay(decodeUtf8(c.quotedBytes()));
  return parseImapDay(c.atom('date'));
}

/** `[CHARSET x SP] search-key *(SP search-key)`; the cursor is after the SP that precedes it. */
export function parseSearchProgram(c: Cursor, opts: SearchParseOptions = {}): SearchProgram {
  let charset: string | null = null;
  if (c.keyword('CHARSET')) {
    c.sp();
    charset = checkCharset(c.astring());
    c.sp();
  }
  return { charset, key: parseSearchCriteria(c, opts) };
}

/** `search-key *(SP search-key)` up to the end of the command, as one key (an `and` when several). */
export function parseSearchCriteria(c: Cursor, opts: SearchParseOptions = {}): SearchKey {
  return parseSearchKeyList(c, opts.maxDepth ?? 32, false);
}

/** One or more space-separated keys up to the end (or `)` when nested); a single key is returned bare. */
function parseSearchKeyList(c: Cursor, depth: number, nested: boolean): SearchKey {
  const keys: SearchKey[] = [parseSearchKey(c, depth)];
  while (c.maybeSp()) keys.push(parseSearchKey(c, depth));
  if (nested) c.expect(')');
  else c.end();
  return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
}

function tooDeep(): never {
  throw new ParseError('too-deep', 'Search criteria nested too deeply');
}

/** One search-key. */
export function parseSearchKey(c: Cursor, depth: number): SearchKey {
  if (c.atEnd) c.fail('Missing search key');
  if (c.maybe('(')) {
    if (depth <= 0) tooDeep();
    return parseSearchKeyList(c, depth - 1, true);
  }
  const p = c.peek();
  if ((p >= 0x30 && p <= 0x39) || p === 0x2a || p === 0x24) {
    return { kind: 'seq', set: parseSequenceSet(c.untilSpace()) };
  }
  const word = c.atom('search key').toUpperCase();
  const flag = SIMPLE_FLAGS[word];
  if (flag) return { kind: 'flag', flag: flag[0], present: flag[1] };
  const header = HEADER_KEYS[word];
  if (header) {
    c.sp();
    return { kind: 'header', field: header, value: c.astring() };
  }
  const dateKey = DATE_KEYS[word];
  if (dateKey) {
    c.sp();
    return { kind: 'date', field: dateKey[0], op: dateKey[1], day: readDate(c) };
  }
  switch (word) {
    case 'ALL':
      return { kind: 'all' };
    case 'NEW': // RFC 3501 §6.4.4: RECENT and UNSEEN
      return { kind: 'and', keys: [{ kind: 'recent', present: true }, { kind: 'flag', flag: '\\Seen', present: false }] };
    case 'OLD':
      return { kind: 'recent', present: false };
    case 'RECENT':
      return { kind: 'recent', present: true };
    case 'KEYWORD':
    case 'UNKEYWORD': {
      c.sp();
      return { kind: 'flag', flag: c.atom('keyword'), present: word === 'KEYWORD' };
    }
    case 'HEADER': {
      c.sp();
      const field = c.astring();
      c.sp();
      return { kind: 'header', field, value: c.astring() };
    }
    case 'BODY':
      c.sp();
      return { kind: 'body', value: c.astring() };
    case 'TEXT':
      c.sp();
      return { kind: 'text', value: c.astring() };
    case 'LARGER':
    case 'SMALLER':
      c.sp();
      return { kind: 'size', op: word === 'LARGER' ? 'larger' : 'smaller', size: c.number64() };
    case 'OLDER':
    case 'YOUNGER':
      c.sp();
      return { kind: 'age', op: word === 'OLDER' ? 'older' : 'younger', seconds: c.nzNumber() };
    case 'UID':
      c.sp();
      return { kind: 'uid', set: parseSequenceSet(c.untilSpace()) };
    case 'NOT':
      if (depth <= 0) tooDeep();
      c.sp();
      return { kind: 'not', key: parseSearchKey(c, depth - 1) };
    case 'OR': {
      if (depth <= 0) tooDeep();
      c.sp();
      const left = parseSearchKey(c, depth - 1);
      c.sp();
      return { kind: 'or', left, right: parseSearchKey(c, depth - 1) };
    }
    case 'MODSEQ': {
      // RFC 7162 §3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
      c.sp();
      let entry: { name: string; type: 'priv' | 'shared' | 'all' } | null = null;
      if (c.is('"')) {
        const name = decodeUtf8(c.quotedBytes());
        c.sp();
        const t = c.atom('entry type').toLowerCase();
        if (t !== 'priv' && t !== 'shared' && t !== 'all') c.fail('Invalid MODSEQ entry type');
        entry = { name, type: t };
        c.sp();
      }
      return { kind: 'modseq', modseq: c.number64(), entry };
    }
    default:
      return c.fail(`Unknown search key ${word.slice(0, 30)}`);
  }
}
