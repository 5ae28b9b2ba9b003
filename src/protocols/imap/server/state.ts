/**
 * IMAP session state (RFC 9051 §3) as a tagged union, and the names of the states for the allowed-commands
 * table (each command module lists the states it runs in, see command.ts). The selected state owns the
 * mailbox view (seq ↔ UID map and pending updates). Pure types.
 */

import type { Account, Mailbox } from '../../../store/types.js';
import type { MailboxView } from './mailbox-view.js';

export type SessionState =
  | { kind: 'not-authenticated' }
  | { kind: 'authenticated'; account: Account }
  | { kind: 'selected'; account: Account; mailbox: Mailbox; view: MailboxView; readOnly: boolean }
  | { kind: 'logout' };

export type StateKind = SessionState['kind'];

export type SelectedState = Extract<SessionState, { kind: 'selected' }>;

/** States shorthands for command modules. */
export const ANY: readonly StateKind[] = ['not-authenticated', 'authenticated', 'selected'];
export const NOT_AUTH: readonly StateKind[] = ['not-authenticated'];
export const AUTH: readonly StateKind[] = ['authenticated', 'selected'];
export const SELECTED: readonly StateKind[] = ['selected'];
