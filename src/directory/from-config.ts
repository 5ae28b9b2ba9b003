/**
 * Builds the server's directory from the config (`[directory]`) and keeps it current: the returned
 * directory reads the config through a getter on every call and, when the `[directory]` section or the
 * auth cache TTL changed (SIGHUP reload), builds the sources anew and closes the old ones. An invalid file
 * never reaches here (the loader keeps the running config), so a reload cannot leave the server without users.
 *
 * Side effects: reads the LDAP CA file when tls_ca is set; the sources' I/O; logs "directory reloaded".
 */

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '../config/index.js';
import type { Logger } from '../lib/logger.js';
import type { Account, AccountStore } from '../store/types.js';
import { ConfiguredDirectory } from './configured-directory.js';
import { InternalDirectory, type AuthContext, type Directory, type RecipientResolution, type ResolveOptions } from './directory.js';
import { LdapSource } from './ldap-source.js';
import type { DirectorySource } from './source.js';
import { SystemSource } from './system-source.js';

/** The sources of the `[directory]` section: system and LDAP for the domains they list, nothing otherwise. */
export function buildSources(d: Config['directory'], log?: Logger): DirectorySource[] {
  const out: DirectorySource[] = [];
  if (d.system_domains.length > 0) {
    out.push(
      new SystemSource({
        domains: d.system_domains,
        minUid: d.system_min_uid,
        allowGroups: d.system_allow_groups,
        denyGroups: d.system_deny_groups,
        passwdFile: d.system_passwd_file,
        shadowFile: d.system_shadow_file,
        groupFile: d.system_group_file,
        onRefused: (user, reason) => log?.info({ user, reason }, 'system user refused'),
      }),
    );
  }
  if (d.ldap_domains.length > 0) {
    const tls: ConnectionOptions = { rejectUnauthorized: d.ldap_tls_verify };
    if (d.ldap_tls_ca !== '') tls.ca = readFileSync(d.ldap_tls_ca, 'utf8');
    out.push(
      new LdapSource({
        domains: d.ldap_domains,
        url: d.ldap_url,
        starttls: d.ldap_starttls,
        tls,
        bindDn: d.ldap_bind_dn,
        bindPassword: d.ldap_bind_password,
        baseDn: d.ldap_base_dn,
        preset: d.ldap_preset,
        // "" and [] mean "the preset's" (ldap-source.ts LDAP_PRESETS).
        ...(d.ldap_user_filter === '' ? {} : { userFilter: d.ldap_user_filter }),
        ...(!d.ldap_groups ? { groupFilter: '' } : d.ldap_group_filter === '' ? {} : { groupFilter: d.ldap_group_filter }),
        ...(d.ldap_mail_attribute === '' ? {} : { mailAttribute: d.ldap_mail_attribute }),
        ...(d.ldap_alias_attributes.length === 0 ? {} : { aliasAttributes: d.ldap_alias_attributes }),
        ...(d.ldap_member_attribute === '' ? {} : { memberAttribute: d.ldap_member_attribute }),
        passwordCheck: d.ldap_password_check,
        passwordAttribute: d.ldap_password_attribute,
        onPasswordRefused: (dn, reason) => log?.warn({ dn, reason }, 'ldap password not verifiable'),
        poolSize: d.ldap_pool_size,
        timeoutMs: d.ldap_timeout * 1000,
        cacheTtlMs: d.ldap_cache_ttl * 1000,
        maxGroupMembers: d.ldap_max_group_members,
      }),
    );
  }
  return out;
}

/** A Directory that follows the config returned by `config()` (re-read on every call; rebuilt when changed). */
export class ReloadingDirectory implements Directory {
  private current: ConfiguredDirectory;
  private key: string;
  private seen: Config;

  constructor(
    private readonly store: AccountStore,
    private readonly config: () => Config,
    private readonly log?: Logger,
  ) {
    this.seen = config();
    this.key = keyOf(this.seen);
    this.current = this.build(this.seen);
  }

  /** The directory for the current config (rebuilt after a reload that changed it). */
  active(): ConfiguredDirectory {
    const c = this.config();
    if (c === this.seen) return this.current;
    this.seen = c;
    const k = keyOf(c);
    if (k === this.key) return this.current;
    const old = this.current;
    this.current = this.build(c);
    this.key = k;
    this.log?.info({ sources: this.current.sources.map((s) => s.kind) }, 'directory reloaded');
    void old.close().catch(() => undefined);
    return this.current;
  }

  authenticate(login: string, password: string, ctx?: AuthContext): Promise<Account | null> {
    return this.active().authenticate(login, password, ctx);
  }

  resolveRecipient(address: string, opts?: ResolveOptions): Promise<RecipientResolution> {
    return this.active().resolveRecipient(address, opts);
  }

  addressesOf(account: Account): Promise<string[]> {
    return this.active().addressesOf(account);
  }

  isLocalDomain(domain: string): Promise<boolean> {
    return this.active().isLocalDomain(domain);
  }

  groupsOf(account: Account): Promise<string[]> {
    return this.active().groupsOf(account);
  }

  close(): Promise<void> {
    return this.current.close();
  }

  private build(c: Config): ConfiguredDirectory {
    const internal = new InternalDirectory(this.store, { authCache: { ttlMs: c.imap.auth_cache_ttl * 1000 } });
    const opts = this.log === undefined ? {} : { log: this.log };
    return new ConfiguredDirectory(this.store, internal, buildSources(c.directory, this.log), opts);
  }
}

function keyOf(c: Config): string {
  return JSON.stringify([c.directory, c.imap.auth_cache_ttl]);
}

/** The server's directory for a config getter (services.ts passes `() => config`, which a reload replaces). */
export function createDirectory(store: AccountStore, config: () => Config, log?: Logger): ReloadingDirectory {
  return new ReloadingDirectory(store, config, log);
}
