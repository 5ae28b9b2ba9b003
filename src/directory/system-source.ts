/**
 * The system directory: local Unix accounts as mail users (like Dovecot's passdb pam/shadow). User `alice`
 * is `alice@<domain>` for every configured domain; her mailbox is alice@<first domain>. A login is `alice`
 * or `alice@<one of the domains>`.
 *
 * Who is a mail user: an account of /etc/passwd with uid >= min_uid, member (primary or supplementary group)
 * of one of allow_groups when that list is set, and of none of deny_groups. Who may log in besides: the
 * /etc/shadow entry is not locked (`!`, `*`), not empty, not expired (shadow.ts), and its hash is one this
 * process verifies (SHA-512/256-crypt, bcrypt; yescrypt `$y$` only with the native addon, xcrypt.ts; without
 * it such a login fails like a wrong password, and the reason is logged).
 *
 * Files are re-read when their mtime or size changes. An unreadable passwd or shadow file is a temporary
 * failure (SourceUnavailableError), not "no such user". Side effects: file reads; CPU for hash checks.
 */

import { readFile, stat } from 'node:fs/promises';
import { cryptScheme, verifiableSchemes, verifyCryptHash } from './crypt-hashes.js';
import { SourceUnavailableError } from './errors.js';
import type { DirectorySource, DirectoryUser, SourceLookup } from './source.js';
import { parseGroup, parsePasswd, parseShadow, shadowVerdict, type GroupEntry, type PasswdEntry } from './system-files.js';

export interface SystemSourceOptions {
  domains: string[];
  minUid: number;
  allowGroups: string[];
  denyGroups: string[];
  passwdFile: string;
  shadowFile: string;
  groupFile: string;
  /** Days since the epoch (tests inject a date). */
  today?: () => number;
  /** Told why a login was refused (no password material in the text). */
  onRefused?: (user: string, reason: string) => void;
}

interface CachedFile<T> {
  key: string;
  value: T;
}

export class SystemSource implements DirectorySource {
  readonly kind = 'system';
  readonly domains: readonly string[];
  private readonly files = new Map<string, CachedFile<unknown>>();

  constructor(private readonly o: SystemSourceOptions) {
    this.domains = o.domains.map((d) => d.toLowerCase());
  }

  async verify(login: string, password: string): Promise<DirectoryUser | null> {
    const name = this.userName(login);
    if (name === null || password === '') return null;
    const pw = await this.mailUser(name);
    if (pw === null) return null;
    const shadow = (await this.read(this.o.shadowFile, parseShadow)).find((s) => s.name === pw.name);
    if (shadow === undefined) return this.refuse(name, 'no shadow entry');
    const today = this.o.today?.() ?? Math.floor(Date.now() / 86_400_000);
    const verdict = shadowVerdict(shadow, today);
    if (verdict !== 'ok') return this.refuse(name, verdict);
    const scheme = cryptScheme(shadow.hash);
    if (scheme === 'argon2' || !verifiableSchemes().has(scheme)) {
      await verifyCryptHash(password, '$6$rounds=5000$timingpad$'); // similar cost to a real check
      return this.refuse(name, `unsupported hash scheme ${scheme}`);
    }
    if (!(await verifyCryptHash(password, shadow.hash))) return null;
    return this.userOf(pw);
  }

  async lookup(address: string): Promise<SourceLookup> {
    const name = this.userName(address);
    if (name === null || !address.includes('@')) return { kind: 'none' };
    const pw = await this.mailUser(name);
    return pw === null ? { kind: 'none' } : { kind: 'user', user: this.userOf(pw) };
  }

  async groupsOf(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    this.files.clear();
  }

  /** The Unix name for a login or address, or null when its domain is not one of ours. */
  private userName(login: string): string | null {
    const at = login.lastIndexOf('@');
    if (at < 0) return login === '' ? null : login;
    const domain = login.slice(at + 1).toLowerCase();
    if (!this.domains.includes(domain)) return null;
    const local = login.slice(0, at);
    return local === '' ? null : local;
  }

  private userOf(pw: PasswdEntry): DirectoryUser {
    const addresses = this.domains.map((d) => `${pw.name.toLowerCase()}@${d}`);
    return { address: addresses[0] as string, addresses };
  }

  /** The passwd entry when `name` is a mail user (uid and group policy), else null. */
  private async mailUser(name: string): Promise<PasswdEntry | null> {
    const all = await this.read(this.o.passwdFile, parsePasswd);
    const pw = all.find((p) => p.name === name) ?? all.find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (pw === undefined) return null;
    if (pw.uid < this.o.minUid) return this.refuse(name, `uid ${pw.uid} below min_uid ${this.o.minUid}`);
    if (this.o.allowGroups.length > 0 || this.o.denyGroups.length > 0) {
      const groups = await this.read(this.o.groupFile, parseGroup);
      const member = (g: GroupEntry): boolean => g.gid === pw.gid || g.members.includes(pw.name);
      const mine = new Set(groups.filter(member).map((g) => g.name));
      if (this.o.denyGroups.some((g) => mine.has(g))) return this.refuse(name, 'member of a denied group');
      if (this.o.allowGroups.length > 0 && !this.o.allowGroups.some((g) => mine.has(g))) {
        return this.refuse(name, 'not in an allowed group');
      }
    }
    return pw;
  }

  private refuse(name: string, reason: string): null {
    this.o.onRefused?.(name, reason);
    return null;
  }

  private async read<T>(path: string, parse: (text: string) => T): Promise<T> {
    try {
      const st = await stat(path);
      const key = `${st.mtimeMs}:${st.size}:${st.ino}`;
      const cached = this.files.get(path) as CachedFile<T> | undefined;
      if (cached?.key === key) return cached.value;
      const value = parse(await readFile(path, 'utf8'));
      this.files.set(path, { key, value });
      return value;
    } catch (cause) {
      throw new SourceUnavailableError(`cannot read ${path}`, { cause });
    }
  }
}

