/**
 * Parsers for migration files (`pochta import`): a Dovecot passwd-file, aliases(5) as read by Postfix and
 * sendmail, and a Postfix virtual(5) table. Pure: text in, records and per-line problems out; nothing is
 * written and nothing throws on bad lines (each becomes a `skipped` item naming the line and the reason).
 *
 * - passwd-file (doc.dovecot.org "Passwd-file"): `user:password:uid:gid:gecos:home:shell:extra_fields`.
 *   Kept as they are: {SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT}, {CRYPT} with a $6$/$5$/$2?$ hash,
 *   {ARGON2ID}/{ARGON2I}, and unprefixed $6$/$5$/$2?$/$argon2 hashes. {PLAIN}/{CLEARTEXT} passwords are
 *   returned as `clear` for the caller to hash. Other schemes (SSHA, MD5-CRYPT, CRAM-MD5, yescrypt...)
 *   are skipped: pochta cannot verify them. `userdb_quota_rule=*:storage=<size>` gives the quota.
 * - aliases(5): `name: target, target`, continuation lines start with white space, `#` comments. Targets
 *   `|command`, `/file` and `:include:` are not addresses and are skipped.
 * - virtual(5): `pattern result, result`; `user@domain` is an alias, `@domain` a catch-all, a bare domain
 *   (contains a dot, no @) declares a virtual alias domain, a bare name means name@<default domain>.
 * - Bare local names (alias names, targets) are qualified with the `domain` option, like Postfix's $myorigin;
 *   without it they are skipped.
 */

import { cryptScheme, stripSchemePrefix } from './crypt-hashes.js';

export interface Skipped {
  line: number;
  text: string;
  reason: string;
}

export interface ImportedUser {
  line: number;
  address: string;
  /** The hash to store as is, or null when `clear` must be hashed. */
  passwordHash: string | null;
  clear: string | null;
  quotaBytes: number;
}

export interface ImportedAlias {
  line: number;
  address: string;
  targets: string[];
}

export interface ImportedAliases {
  aliases: ImportedAlias[];
  /** `@domain target` lines of a virtual table. */
  catchAll: Array<{ line: number; domain: string; target: string }>;
  /** Domains declared by a bare `domain anything` line of a virtual table. */
  domains: string[];
  skipped: Skipped[];
}

/** Logical lines: comments and blank lines dropped, continuation lines (leading white space) joined. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*#/.test(raw) || raw.trim() === '') return;
    const last = out[out.length - 1];
    if (/^\s/.test(raw) && last !== undefined) last.text += ` ${raw.trim()}`;
    else out.push({ line: i + 1, text: raw.trim() });
  });
  return out;
}

function qualify(name: string, domain: string | undefined): string | null {
  const n = name.trim().toLowerCase();
  if (n === '') return null;
  if (n.includes('@')) return n.startsWith('@') ? null : n;
  return domain === undefined ? null : `${n}@${domain.toLowerCase()}`;
}

const KEEP_PREFIXES = new Set(['SHA512-CRYPT', 'SHA256-CRYPT', 'BLF-CRYPT', 'CRYPT', 'ARGON2ID', 'ARGON2I']);
const CLEAR_PREFIXES = new Set(['PLAIN', 'CLEARTEXT', 'CLEAR']);

/** Size with an optional K/M/G/T suffix (Dovecot quota_rule), or null. */
function parseSize(s: string): number | null {
  const m = /^(\d+)([KMGT]?)B?$/i.exec(s.trim());
  if (m === null) return null;
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[(m[2] as string).toUpperCase()] ?? 1;
  return Number(m[1]) * mult;
}

export function parseDovecotPasswdFile(text: string, opts: { domain?: string } = {}): { users: ImportedUser[]; skipped: Skipped[] } {
  const users: ImportedUser[] = [];
  const skipped: Skipped[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const f = raw.split(':');
    const skip = (reason: string): void => void skipped.push({ line, text: f[0] ?? '', reason });
    const address = qualify(f[0] ?? '', opts.domain);
    if (address === null) return skip('user name without a domain: give --domain');
    const pw = f[1] ?? '';
    if (pw === '') return skip('no password');
    const { scheme, hash } = stripSchemePrefix(pw);
    let quotaBytes = 0;
    const extra = f.slice(7).join(':');
    const q = /(?:^|\s)userdb_quota_rule=\*:storage=(\S+)/.exec(extra);
    if (q !== null) quotaBytes = parseSize(q[1] as string) ?? 0;
    if (scheme !== null && CLEAR_PREFIXES.has(scheme)) {
      users.push({ line, address, passwordHash: null, clear: hash, quotaBytes });
      return;
    }
    if (scheme !== null && !KEEP_PREFIXES.has(scheme)) return skip(`password scheme {${scheme}} cannot be verified by pochta`);
    const kind = cryptScheme(hash);
    if (kind !== 'sha512-crypt' && kind !== 'sha256-crypt' && kind !== 'bcrypt' && kind !== 'argon2') {
      return skip(`password hash (${kind}) cannot be verified by pochta`);
    }
    users.push({ line, address, passwordHash: pw, clear: null, quotaBytes });
  });
  return { users, skipped };
}

function splitTargets(s: string): string[] {
  // Commas separate targets; a quoted target may contain one ("|cmd, arg").
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((t) => t !== '');
}

function addTargets(
  raw: string[],
  line: number,
  domain: string | undefined,
  skipped: Skipped[],
): string[] {
  const targets: string[] = [];
  for (const t0 of raw) {
    const t = t0.replace(/^"(.*)"$/, '$1').replace(/^\\/, '');
    if (t.startsWith('|') || t.startsWith('/') || t.toLowerCase().startsWith(':include:')) {
      skipped.push({ line, text: t, reason: 'commands, files and :include: are not supported targets' });
      continue;
    }
    const q = qualify(t, domain);
    if (q === null) skipped.push({ line, text: t, reason: 'target without a domain: give --domain' });
    else if (!targets.includes(q)) targets.push(q);
  }
  return targets;
}

export function parseAliasesFile(text: string, opts: { domain?: string } = {}): ImportedAliases {
  const res: ImportedAliases = { aliases: [], catchAll: [], domains: [], skipped: [] };
  for (const { line, text: l } of logicalLines(text)) {
    const colon = l.indexOf(':');
    if (colon <= 0) {
      res.skipped.push({ line, text: l, reason: 'not "name: targets"' });
      continue;
    }
    const name = l.slice(0, colon).replace(/^"(.*)"$/, '$1');
    const address = qualify(name, opts.domain);
    if (address === null) {
      res.skipped.push({ line, text: name, reason: 'alias name without a domain: give --domain' });
      continue;
    }
    const targets = addTargets(splitTargets(l.slice(colon + 1)), line, opts.domain, res.skipped);
    if (targets.length > 0) res.aliases.push({ line, address, targets });
  }
  return res;
}

export function parseVirtualTable(text: string, opts: { domain?: string } = {}): ImportedAliases {
  const res: ImportedAliases = { aliases: [], catchAll: [], domains: [], skipped: [] };
  for (const { line, text: l } of logicalLines(text)) {
    const m = /^(\S+)\s+(.+)$/.exec(l);
    if (m === null) {
      res.skipped.push({ line, text: l, reason: 'not "pattern result"' });
      continue;
    }
    const key = (m[1] as string).toLowerCase();
    const rest = m[2] as string;
    if (!key.includes('@') && key.includes('.')) {
      res.domains.push(key); // virtual(5): "example.com anything" declares a virtual alias domain
      continue;
    }
    const targets = addTargets(splitTargets(rest), line, opts.domain, res.skipped);
    if (targets.length === 0) continue;
    if (key.startsWith('@')) {
      if (targets.length > 1) res.skipped.push({ line, text: l, reason: 'a catch-all has one target here; the first is used' });
      res.catchAll.push({ line, domain: key.slice(1), target: targets[0] as string });
      continue;
    }
    const address = qualify(key, opts.domain);
    if (address === null) res.skipped.push({ line, text: key, reason: 'name without a domain: give --domain' });
    else res.aliases.push({ line, address, targets });
  }
  return res;
}

/** 'virtual' when the first entry looks like a virtual(5) line (no "name:" head), else 'aliases'. */
export function detectAliasFormat(text: string): 'aliases' | 'virtual' {
  const first = logicalLines(text)[0];
  if (first === undefined) return 'aliases';
  return /^("[^"]*"|[^\s:]+):/.test(first.text) ? 'aliases' : 'virtual';
}
