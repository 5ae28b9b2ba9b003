/**
 * Parsers for the Unix account files: passwd(5), shadow(5), group(5), and the shadow checks that decide
 * whether an account may log in (locked, no password, expired account, expired password).
 *
 * Pure: the caller reads the files. Malformed lines are skipped, never thrown on.
 */

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

export interface ShadowEntry {
  name: string;
  /** The encrypted password field as is (`!`/`*` prefixes kept). */
  hash: string;
  /** Days since the epoch of the last change; null when empty. 0 means "must change at next login". */
  lastChange: number | null;
  /** Maximum password age in days; null when empty (no aging). */
  maxDays: number | null;
  /** Days after password expiry during which the password is still accepted; null when empty. */
  inactiveDays: number | null;
  /** Account expiration, days since the epoch; null when empty. */
  expireDay: number | null;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function numOrNull(s: string | undefined): number | null {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isInteger(n) ? n : null;
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of lines(text)) {
    const uid = numOrNull(f[2]);
    const gid = numOrNull(f[3]);
    if (f.length < 7 || f[0] === '' || uid === null || gid === null) continue;
    out.push({ name: f[0] as string, uid, gid });
  }
  return out;
}

export function parseShadow(text: string): ShadowEntry[] {
  const out: ShadowEntry[] = [];
  for (const f of lines(text)) {
    if (f.length < 8 || f[0] === '') continue;
    out.push({
      name: f[0] as string,
      hash: f[1] ?? '',
      lastChange: numOrNull(f[2]),
      maxDays: numOrNull(f[4]),
      inactiveDays: numOrNull(f[6]),
      expireDay: numOrNull(f[7]),
    });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of lines(text)) {
    const gid = numOrNull(f[2]);
    if (f.length < 4 || f[0] === '' || gid === null) continue;
    out.push({ name: f[0] as string, gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

export type ShadowVerdict = 'ok' | 'locked' | 'no-password' | 'account-expired' | 'password-expired';

/** shadow(5): may this entry log in with a password on `today` (days since the epoch)? */
export function shadowVerdict(e: ShadowEntry, today: number): ShadowVerdict {
  // shadow(5): a password field starting with "!" is locked; "*" or any other non-hash value never matches.
  if (e.hash.startsWith('!') || e.hash.startsWith('*')) return 'locked';
  if (e.hash === '') return 'no-password';
  if (e.expireDay !== null && e.expireDay <= today) return 'account-expired';
  // shadow(5): a last change of 0 means the user must change the password before using the system.
  if (e.lastChange === 0) return 'password-expired';
  if (e.lastChange !== null && e.maxDays !== null && e.maxDays < 99_999) {
    const graceEnd = e.lastChange + e.maxDays + (e.inactiveDays ?? 0);
    if (graceEnd < today) return 'password-expired';
  }
  return 'ok';
}
