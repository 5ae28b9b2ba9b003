/**
 * Shared plumbing for the SQLite store's operation modules: a prepared-statement cache and the mapping of
 * SQLite constraint errors to StoreError kinds (a fallback; operations check their preconditions first).
 */

import type BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../../lib/errors.js';

export type Db = BetterSqlite3.Database;

export class Statements {
  private readonly cache = new Map<string, BetterSqlite3.Statement>();
  constructor(readonly db: Db) {}

  get(sql: string): BetterSqlite3.Statement {
    let s = this.cache.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
}

/** Converts SQLite constraint violations into StoreErrors; rethrows anything else unchanged. */
export function mapSqliteError(e: unknown, what: string): never {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    throw new StoreError('exists', `${what} already exists`, { cause: e });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    throw new StoreError('not-found', `${what}: a referenced row does not exist`, { cause: e });
  }
  throw e;
}

export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new StoreError('invalid', `not an address: ${JSON.stringify(address)}`);
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}
