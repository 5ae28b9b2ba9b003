/**
 * Dropping root: pochta binds its ports as root and then runs as an unprivileged user before it reads a byte
 * from any client (the lesson of Sendmail in the mission document). Also used by CLI commands run as root,
 * so that files they create in the data directory stay owned by the server's user.
 *
 * Side effects: may create a system user (useradd), chown the data directory, change the process's ids.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, lchownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from './errors.js';

export interface UserIds {
  name: string;
  uid: number;
  gid: number;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function lookupUser(name: string): UserIds | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    const gid = Number(execFileSync('id', ['-g', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    return { name, uid, gid };
  } catch {
    return null;
  }
}

/** Creates a locked system account with no shell and no home, as Debian packages do for daemons. */
export function ensureSystemUser(name: string): UserIds {
  const existing = lookupUser(name);
  if (existing) return existing;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new UserError(`cannot create the system user '${name}' (useradd failed): create it yourself or set server.user`, { cause: e });
  }
  const created = lookupUser(name);
  if (!created) throw new UserError(`the system user '${name}' does not exist after useradd: create it or set server.user`);
  return created;
}

/** chown -R without following symlinks. */
export function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else lchownSync(p, uid, gid);
  }
}

export function dropPrivileges(ids: UserIds): void {
  if (!isRoot()) return;
  // The user's supplementary groups too (e.g. `shadow`, for system users' passwords); a bare uid has none.
  if (/^uid \d+$/.test(ids.name)) process.setgroups?.([ids.gid]);
  else (process as NodeJS.Process & { initgroups?: (user: string, extraGroup: number) => void }).initgroups?.(ids.name, ids.gid);
  process.setgid?.(ids.gid);
  process.setuid?.(ids.uid);
  if (process.getuid?.() !== ids.uid || process.geteuid?.() !== ids.uid) {
    throw new UserError(`could not drop privileges to '${ids.name}'`);
  }
}
