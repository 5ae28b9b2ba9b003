/**
 * Domains, accounts and aliases on SQLite (AccountStore). Synchronous; the caller (SqliteStore) runs each
 * public operation inside one transaction, so a thrown StoreError leaves nothing half-written.
 */

import { StoreError } from '../../lib/errors.js';
import type { Account, AccountInput, AccountPatch, Alias, Domain, DomainInput, SpecialUse } from '../types.js';
import type { MailboxOps } from './mailbox-ops.js';
import { mapSqliteError, splitAddress, type Statements } from './statements.js';

interface DomainRow {
  name: string;
  unknown_policy: 'reject' | 'catch-all';
  catch_all: string | null;
  created_at: number;
}

interface AccountRow {
  id: number;
  address: string;
  domain: string;
  password_hash: string;
  quota_bytes: number;
  enabled: number;
  send_as: string;
  created_at: number;
}

/** The mailboxes every new account gets (RFC 6154 special-use), all subscribed. */
export const DEFAULT_MAILBOXES: ReadonlyArray<readonly [string, SpecialUse | null]> = [
  ['INBOX', null],
  ['Sent', '\\Sent'],
  ['Drafts', '\\Drafts'],
  ['Trash', '\\Trash'],
  ['Junk', '\\Junk'],
  ['Archive', '\\Archive'],
];

function toDomain(r: DomainRow): Domain {
  return { name: r.name, unknownPolicy: r.unknown_policy, catchAll: r.catch_all, createdAt: new Date(r.created_at) };
}

function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    address: r.address,
    domain: r.domain,
    passwordHash: r.password_hash,
    quotaBytes: r.quota_bytes,
    enabled: r.enabled !== 0,
    sendAs: JSON.parse(r.send_as) as string[],
    createdAt: new Date(r.created_at),
  };
}

function checkDomainPolicy(policy: string, catchAll: string | null): void {
  if (policy !== 'reject' && policy !== 'catch-all') throw new StoreError('invalid', `unknown policy ${policy}`);
  if (policy === 'catch-all' && catchAll === null) {
    throw new StoreError('invalid', "unknownPolicy 'catch-all' needs a catchAll address");
  }
  if (catchAll !== null) splitAddress(catchAll);
}

function checkQuota(q: number): void {
  if (!Number.isSafeInteger(q) || q < 0) throw new StoreError('invalid', `bad quota ${q}`);
}

export class AccountOps {
  constructor(
    private readonly st: Statements,
    private readonly mailboxes: MailboxOps,
  ) {}

  addDomain(input: DomainInput): Domain {
    if (input.name === '' || input.name.includes('@')) throw new StoreError('invalid', `bad domain name ${input.name}`);
    const policy = input.unknownPolicy ?? 'reject';
    const catchAll = input.catchAll ?? null;
    checkDomainPolicy(policy, catchAll);
    if (this.getDomain(input.name) !== null) throw new StoreError('exists', `domain ${input.name} already exists`);
    try {
      this.st
        .get('INSERT INTO domains (name, unknown_policy, catch_all, created_at) VALUES (?, ?, ?, ?)')
        .run(input.name, policy, catchAll, Date.now());
    } catch (e) {
      mapSqliteError(e, `domain ${input.name}`);
    }
    return this.getDomain(input.name)!;
  }

  getDomain(name: string): Domain | null {
    const r = this.st.get('SELECT * FROM domains WHERE name = ?').get(name) as DomainRow | undefined;
    return r === undefined ? null : toDomain(r);
  }

  listDomains(): Domain[] {
    return (this.st.get('SELECT * FROM domains ORDER BY name').all() as DomainRow[]).map(toDomain);
  }

  updateDomain(name: string, patch: Omit<DomainInput, 'name'>): Domain {
    const cur = this.getDomain(name);
    if (cur === null) throw new StoreError('not-found', `domain ${name} not found`);
    const policy = patch.unknownPolicy ?? cur.unknownPolicy;
    const catchAll = patch.catchAll === undefined ? cur.catchAll : patch.catchAll;
    checkDomainPolicy(policy, catchAll);
    this.st.get('UPDATE domains SET unknown_policy = ?, catch_all = ? WHERE name = ?').run(policy, catchAll, name);
    return this.getDomain(name)!;
  }

  removeDomain(name: string): void {
    if (this.getDomain(name) === null) throw new StoreError('not-found', `domain ${name} not found`);
    const accounts = (this.st.get('SELECT count(*) AS n FROM accounts WHERE domain = ?').get(name) as { n: number }).n;
    const aliases = (this.st.get('SELECT count(*) AS n FROM aliases WHERE domain = ?').get(name) as { n: number }).n;
    if (accounts > 0 || aliases > 0) {
      throw new StoreError('in-use', `domain ${name} still has ${accounts} account(s) and ${aliases} alias row(s)`);
    }
    this.st.get('DELETE FROM domains WHERE name = ?').run(name);
  }

  createAccount(input: AccountInput): Account {
    const { domain } = splitAddress(input.address);
    if (this.getDomain(domain) === null) throw new StoreError('not-found', `domain ${domain} not found`);
    if (this.getAccount(input.address) !== null) throw new StoreError('exists', `account ${input.address} already exists`);
    const quota = input.quotaBytes ?? 0;
    checkQuota(quota);
    let id: number;
    try {
      const info = this.st
        .get(
          'INSERT INTO accounts (address, domain, password_hash, quota_bytes, enabled, send_as, created_at) ' +
            "VALUES (?, ?, ?, ?, ?, '[]', ?)",
        )
        .run(input.address, domain, input.passwordHash, quota, input.enabled === false ? 0 : 1, Date.now());
      id = Number(info.lastInsertRowid);
    } catch (e) {
      mapSqliteError(e, `account ${input.address}`);
    }
    for (const [name, specialUse] of DEFAULT_MAILBOXES) {
      this.mailboxes.insertMailbox(id, name, specialUse);
      this.mailboxes.setSubscribed(id, name, true);
    }
    return this.getAccountById(id)!;
  }

  getAccount(address: string): Account | null {
    const r = this.st.get('SELECT * FROM accounts WHERE address = ?').get(address) as AccountRow | undefined;
    return r === undefined ? null : toAccount(r);
  }

  getAccountById(id: number): Account | null {
    const r = this.st.get('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return r === undefined ? null : toAccount(r);
  }

  listAccounts(domain?: string): Account[] {
    const rows =
      domain === undefined
        ? this.st.get('SELECT * FROM accounts ORDER BY address').all()
        : this.st.get('SELECT * FROM accounts WHERE domain = ? ORDER BY address').all(domain);
    return (rows as AccountRow[]).map(toAccount);
  }

  updateAccount(address: string, patch: AccountPatch): Account {
    const cur = this.getAccount(address);
    if (cur === null) throw new StoreError('not-found', `account ${address} not found`);
    if (patch.quotaBytes !== undefined) checkQuota(patch.quotaBytes);
    if (patch.sendAs !== undefined) for (const a of patch.sendAs) splitAddress(a);
    this.st
      .get('UPDATE accounts SET password_hash = ?, quota_bytes = ?, enabled = ?, send_as = ? WHERE id = ?')
      .run(
        patch.passwordHash ?? cur.passwordHash,
        patch.quotaBytes ?? cur.quotaBytes,
        (patch.enabled ?? cur.enabled) ? 1 : 0,
        JSON.stringify(patch.sendAs === undefined ? cur.sendAs : [...new Set(patch.sendAs)]),
        cur.id,
      );
    return this.getAccountById(cur.id)!;
  }

  /** Returns the removed account's id (mailboxes, messages and subscriptions go by ON DELETE CASCADE). */
  removeAccount(address: string): number {
    const cur = this.getAccount(address);
    if (cur === null) throw new StoreError('not-found', `account ${address} not found`);
    this.st.get('DELETE FROM accounts WHERE id = ?').run(cur.id);
    return cur.id;
  }

  addAlias(address: string, targets: string[]): Alias {
    const { domain } = splitAddress(address);
    if (targets.length === 0) throw new StoreError('invalid', 'an alias needs at least one target');
    for (const t of targets) splitAddress(t);
    if (this.getDomain(domain) === null) throw new StoreError('not-found', `domain ${domain} not found`);
    const max = this.st.get('SELECT max(position) AS p FROM aliases WHERE address = ?').get(address) as { p: number | null };
    let pos = (max.p ?? -1) + 1;
    const insert = this.st.get(
      'INSERT INTO aliases (address, target, domain, position) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    for (const t of targets) {
      if (insert.run(address, t, domain, pos).changes > 0) pos++;
    }
    return this.getAlias(address)!;
  }

  getAlias(address: string): Alias | null {
    const rows = this.st.get('SELECT target FROM aliases WHERE address = ? ORDER BY position').pluck().all(address) as string[];
    return rows.length === 0 ? null : { address, targets: rows };
  }

  listAliases(domain?: string): Alias[] {
    const rows = (
      domain === undefined
        ? this.st.get('SELECT address, target FROM aliases ORDER BY address, position').all()
        : this.st.get('SELECT address, target FROM aliases WHERE domain = ? ORDER BY address, position').all(domain)
    ) as Array<{ address: string; target: string }>;
    const out: Alias[] = [];
    for (const r of rows) {
      const last = out[out.length - 1];
      if (last !== undefined && last.address === r.address) last.targets.push(r.target);
      else out.push({ address: r.address, targets: [r.target] });
    }
    return out;
  }

  removeAlias(address: string, target?: string): void {
    const info =
      target === undefined
        ? this.st.get('DELETE FROM aliases WHERE address = ?').run(address)
        : this.st.get('DELETE FROM aliases WHERE address = ? AND target = ?').run(address, target);
    if (info.changes === 0) {
      throw new StoreError('not-found', target === undefined ? `alias ${address} not found` : `alias ${address} → ${target} not found`);
    }
  }
}
