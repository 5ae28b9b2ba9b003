/**
 * What an external user source (system accounts, LDAP) answers; `ConfiguredDirectory` turns these answers
 * into store accounts and recipient resolutions. A source only looks things up: it never writes the store.
 *
 * Contract for implementations:
 * - `verify` answers the user for good credentials and null for anything else (unknown user, wrong or
 *   locked password, login outside the source's domains); it never says which.
 * - `lookup` finds a user or a group by any of its addresses (normalised: lower-case, A-label domain).
 * - When the backing service cannot answer (LDAP down, /etc/shadow unreadable), both THROW the MailError of
 *   errors.ts (temporary), so that protocols answer "try again later" rather than "no such user".
 */

export interface DirectoryUser {
  /** Primary address: the store account (mailbox) of the user has this address. */
  address: string;
  /** Every address the user receives mail for, primary first. */
  addresses: string[];
}

export type SourceLookup =
  | { kind: 'user'; user: DirectoryUser }
  /** A mailing-list style group: mail to its address goes to each member address. */
  | { kind: 'group'; address: string; members: string[] }
  | { kind: 'none' };

export interface DirectorySource {
  /** 'system' or 'ldap': the `{EXTERNAL}<kind>` marker of the accounts it provisions and a log label. */
  readonly kind: string;
  /** Normalised domains the source serves. */
  readonly domains: readonly string[];
  verify(login: string, password: string): Promise<DirectoryUser | null>;
  lookup(address: string): Promise<SourceLookup>;
  /** Addresses of the groups the user (by primary address) belongs to. */
  groupsOf(address: string): Promise<string[]>;
  close(): Promise<void>;
}
