/**
 * The contract between the session and the per-command modules under commands/ (one file per verb, as in
 * WildDuck's imap-core): `{ names, states, run }`. `run` gets the session context and the parsed command,
 * writes untagged responses through the context and returns the tagged result. The session enforces
 * `states` (the state → allowed-commands table), flushes mailbox updates and writes the tagged line.
 */

import type { Config } from '../../../config/index.js';
import type { Directory } from '../../../directory/directory.js';
import type { Logger } from '../../../lib/logger.js';
import type { Account, Store } from '../../../store/types.js';
import type { EncodeOptions, ImapCommand, ImapValue, SequenceSet } from '../proto/index.js';
import type { SelectedState, SessionState, StateKind } from './state.js';

export interface CommandResult {
  status: 'OK' | 'NO' | 'BAD';
  /** Response code without brackets. */
  code?: string | null;
  text: string;
  /** Runs after the tagged response is written (STARTTLS, COMPRESS, LOGOUT). */
  after?: () => Promise<void>;
  /** Do not flush pending mailbox updates before the tagged response (CLOSE, SELECT did their own). */
  noFlush?: boolean;
}

export const ok = (text: string, code?: string | null): CommandResult => ({ status: 'OK', text, code: code ?? null });
export const no = (text: string, code?: string | null): CommandResult => ({ status: 'NO', text, code: code ?? null });
export const bad = (text: string, code?: string | null): CommandResult => ({ status: 'BAD', text, code: code ?? null });

/** Extensions the client turned on with ENABLE (RFC 5161) or implicitly (CONDSTORE). */
export type Enableable = 'CONDSTORE' | 'QRESYNC' | 'UTF8=ACCEPT' | 'IMAP4REV2';

export interface SessionDeps {
  store: Store;
  directory: Directory;
  config: Config;
  log: Logger;
}

/** What command modules see of the session. */
export interface SessionContext {
  readonly deps: SessionDeps;
  state: SessionState;
  readonly tag: string;
  /** TLS is active (implicit or after STARTTLS). */
  readonly secure: boolean;
  readonly remoteAddress: string;
  readonly enabled: ReadonlySet<Enableable>;
  enable(ext: Enableable): void;
  /** Options for the response encoder (UTF-8 strings once UTF8=ACCEPT / IMAP4rev2 is on). */
  readonly encodeOpts: EncodeOptions;
  /** Writes bytes (waits for the socket to drain when needed). */
  write(data: Buffer): Promise<void>;
  /** `* values...` */
  untagged(values: readonly ImapValue[]): Promise<void>;
  /** The capability list for the current state. */
  capabilities(): string[];
  /** Plain-text passwords are refused (LOGINDISABLED). */
  readonly loginDisabled: boolean;
  /** Waits for the client's next line (SASL responses, IDLE's DONE); null when the connection ends. */
  readLine(): Promise<Buffer | null>;
  /** Writes `+ text`. */
  continuation(text: string): Promise<void>;
  /** Session hooks the service implements: login accounting, TLS, compression, closing. */
  login(account: Account): CommandResult | null;
  loginFailed(): Promise<void>;
  canStartTls(): boolean;
  startTls(): Promise<void>;
  startCompression(): Promise<void>;
  readonly compressed: boolean;
  close(): void;
  /** Leaves the selected state (unsubscribes the view). */
  deselect(): void;
  /** Sends pending mailbox updates now (IDLE). */
  flushUpdates(allowExpunge: boolean): Promise<void>;
  /** Messages of the last SEARCH RETURN (SAVE) (RFC 5182), as UIDs. */
  savedUids: number[] | null;
  /** Resolves a sequence set (or `$`) against the view: UIDs in order. */
  resolveSet(sel: SelectedState, set: SequenceSet, uid: boolean): number[];
  /** The autologout timer is in IDLE mode (RFC 9051 §5.4). */
  setIdle(idle: boolean): void;
}

export interface CommandModule {
  /** The `kind`s of ImapCommand this module serves. */
  readonly names: readonly ImapCommand['kind'][];
  readonly states: readonly StateKind[];
  run(ctx: SessionContext, cmd: ImapCommand): Promise<CommandResult>;
}

/** The members of the ImapCommand union whose `kind` may be one of K (distributes over the union). */
type MembersWithKind<C, K> = C extends { kind: infer CK } ? ([K & CK] extends [never] ? never : C) : never;
export type CommandOf<K extends ImapCommand['kind']> = MembersWithKind<ImapCommand, K>;

/** Helper to build a module with a precise command type. */
export function defineCommand<K extends ImapCommand['kind']>(def: {
  names: readonly K[];
  states: readonly StateKind[];
  run(ctx: SessionContext, cmd: CommandOf<K>): Promise<CommandResult>;
}): CommandModule {
  return def as unknown as CommandModule;
}
