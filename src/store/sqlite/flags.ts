/**
 * Flag storage: the five system flags as a bitmask (fast unseen/deleted counts) and keywords as a
 * space-separated text column. Pure functions, no I/O.
 *
 * RFC 3501 §2.3.2 / RFC 9051 §2.3.2: flags are matched case-insensitively; system flags are stored in their
 * canonical spelling, keywords keep the spelling first stored. \Recent is session state and never stored.
 */

import { StoreError } from '../../lib/errors.js';
import type { FlagOperation } from '../types.js';

export const SEEN = 1;
export const ANSWERED = 2;
export const FLAGGED = 4;
export const DELETED = 8;
export const DRAFT = 16;

const SYSTEM: ReadonlyArray<readonly [string, number]> = [
  ['\\Seen', SEEN],
  ['\\Answered', ANSWERED],
  ['\\Flagged', FLAGGED],
  ['\\Deleted', DELETED],
  ['\\Draft', DRAFT],
];
const SYSTEM_BY_LOWER = new Map(SYSTEM.map(([name, bit]) => [name.toLowerCase(), bit]));

export interface FlagSet {
  sys: number;
  keywords: string[];
}

export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Splits a flag list into bits and keywords; rejects unknown system flags and keywords with spaces. */
export function parseFlags(flags: readonly string[]): FlagSet {
  let sys = 0;
  const keywords: string[] = [];
  const seen = new Set<string>();
  for (const f of flags) {
    const lower = f.toLowerCase();
    if (f.startsWith('\\')) {
      if (lower === '\\recent') continue;
      const bit = SYSTEM_BY_LOWER.get(lower);
      if (bit === undefined) throw new StoreError('invalid', `unknown system flag ${f}`);
      sys |= bit;
      continue;
    }
    if (f.length === 0 || /[\s()\]{%*"\\]/.test(f) || hasControlChar(f)) {
      throw new StoreError('invalid', `invalid keyword ${JSON.stringify(f)}`);
    }
    if (!seen.has(lower)) {
      seen.add(lower);
      keywords.push(f);
    }
  }
  return { sys, keywords };
}

export function keywordsFromColumn(column: string): string[] {
  return column === '' ? [] : column.split(' ');
}

export function keywordsToColumn(keywords: readonly string[]): string {
  return keywords.join(' ');
}

/** System flags in canonical order, then keywords in stored order. */
export function flagsToList(sys: number, keywordColumn: string): string[] {
  const out: string[] = [];
  if (sys !== 0) for (const [name, bit] of SYSTEM) if ((sys & bit) !== 0) out.push(name);
  if (keywordColumn !== '') out.push(...keywordColumn.split(' '));
  return out;
}

/** Applies a STORE operation; returns the new bits and keyword column. */
export function applyFlagOperation(
  op: FlagOperation,
  sys: number,
  keywordColumn: string,
  change: FlagSet,
): { sys: number; keywords: string } {
  if (op === 'set') return { sys: change.sys, keywords: keywordsToColumn(change.keywords) };
  const current = keywordsFromColumn(keywordColumn);
  if (op === 'add') {
    const have = new Set(current.map((k) => k.toLowerCase()));
    const added = change.keywords.filter((k) => !have.has(k.toLowerCase()));
    return { sys: sys | change.sys, keywords: added.length === 0 ? keywordColumn : keywordsToColumn([...current, ...added]) };
  }
  const drop = new Set(change.keywords.map((k) => k.toLowerCase()));
  const kept = drop.size === 0 ? current : current.filter((k) => !drop.has(k.toLowerCase()));
  return { sys: sys & ~change.sys, keywords: kept.length === current.length ? keywordColumn : keywordsToColumn(kept) };
}
