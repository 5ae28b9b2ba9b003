/**
 * Abuse defence state on SQLite (AbuseStore): the greylist triplets and the temporary IP bans of antispam/.
 * Times are stored as epoch milliseconds; an expired row is invisible to reads before expireAbuseState()
 * deletes it. Synchronous; SqliteStore wraps each call in a transaction.
 */

import type { Ban, GreylistEntry } from '../types.js';
import type { Statements } from './statements.js';

interface GreylistRow {
  key: string;
  first_seen: number;
  last_seen: number;
  passed: number;
  expires_at: number;
}

interface BanRow {
  ip: string;
  reason: string;
  created_at: number;
  expires_at: number;
}

function toBan(r: BanRow): Ban {
  return { ip: r.ip, reason: r.reason, createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at) };
}

export class AbuseOps {
  constructor(private readonly st: Statements) {}

  getGreylistEntry(key: string, now: Date): GreylistEntry | null {
    const r = this.st.get('SELECT * FROM greylist WHERE key = ? AND expires_at > ?').get(key, now.getTime()) as GreylistRow | undefined;
    if (r === undefined) return null;
    return { key: r.key, firstSeen: new Date(r.first_seen), lastSeen: new Date(r.last_seen), passed: r.passed === 1, expiresAt: new Date(r.expires_at) };
  }

  putGreylistEntry(e: GreylistEntry): void {
    this.st
      .get('INSERT OR REPLACE INTO greylist (key, first_seen, last_seen, passed, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(e.key, e.firstSeen.getTime(), e.lastSeen.getTime(), e.passed ? 1 : 0, e.expiresAt.getTime());
  }

  addBan(b: Ban): void {
    this.st
      .get('INSERT OR REPLACE INTO bans (ip, reason, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(b.ip, b.reason, b.createdAt.getTime(), b.expiresAt.getTime());
  }

  getBan(ip: string, now: Date): Ban | null {
    const r = this.st.get('SELECT * FROM bans WHERE ip = ? AND expires_at > ?').get(ip, now.getTime()) as BanRow | undefined;
    return r === undefined ? null : toBan(r);
  }

  listBans(now: Date): Ban[] {
    return (this.st.get('SELECT * FROM bans WHERE expires_at > ? ORDER BY ip').all(now.getTime()) as BanRow[]).map(toBan);
  }

  removeBan(ip: string): boolean {
    return this.st.get('DELETE FROM bans WHERE ip = ?').run(ip).changes > 0;
  }

  expire(now: Date): number {
    const t = now.getTime();
    return this.st.get('DELETE FROM greylist WHERE expires_at <= ?').run(t).changes + this.st.get('DELETE FROM bans WHERE expires_at <= ?').run(t).changes;
  }
}
