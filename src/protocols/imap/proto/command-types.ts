/**
 * The typed AST of IMAP commands (RFC 3501, RFC 9051 and the extensions pochta supports). One member of
 * the `ImapCommand` union per command, tagged by `kind`; UID variants carry `uid: true`. Mailbox names are
 * already decoded (modified UTF-7 unless UTF8=ACCEPT) with INBOX normalised. Types only.
 */

import type { ImapDateTime } from './dates.js';
import type { SearchKey } from './search-ast.js';
import type { SequenceSet } from './sequence-set.js';

/** RFC 9051 §6.4.5 section-msgtext / section-part. `part` is [] for the whole message. */
export interface Section {
  part: number[];
  text: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME' | null;
  /** Header field names for HEADER.FIELDS[.NOT], as given (compare case-insensitively). */
  fields: string[] | null;
}

export interface Partial {
  offset: number;
  /** Length requested (`<0.100>` → 100). */
  length: number;
}

export type FetchAtt =
  | { kind: 'ENVELOPE' }
  | { kind: 'FLAGS' }
  | { kind: 'INTERNALDATE' }
  | { kind: 'RFC822' }
  | { kind: 'RFC822.HEADER' }
  | { kind: 'RFC822.SIZE' }
  | { kind: 'RFC822.TEXT' }
  /** Non-extensible BODY structure. */
  | { kind: 'BODY' }
  | { kind: 'BODYSTRUCTURE' }
  | { kind: 'UID' }
  | { kind: 'MODSEQ' }
  | { kind: 'SAVEDATE' }
  | { kind: 'EMAILID' }
  | { kind: 'THREADID' }
  /** BODY[section]<partial> and BODY.PEEK[...]. */
  | { kind: 'BODY[]'; peek: boolean; section: Section; partial: Partial | null }
  /** RFC 3516 BINARY[part]<partial> and BINARY.PEEK. */
  | { kind: 'BINARY[]'; peek: boolean; part: number[]; partial: Partial | null }
  | { kind: 'BINARY.SIZE'; part: number[] };

export type StatusItem =
  | 'MESSAGES'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'DELETED'
  | 'SIZE'
  | 'RECENT'
  | 'HIGHESTMODSEQ'
  | 'APPENDLIMIT'
  | 'MAILBOXID';

export interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SequenceSet | null;
  seqMatch: { seqs: SequenceSet; uids: SequenceSet } | null;
}

export interface ListSelection {
  subscribed: boolean;
  remote: boolean;
  recursiveMatch: boolean;
  specialUse: boolean;
}

export interface ListReturn {
  subscribed: boolean;
  children: boolean;
  specialUse: boolean;
  myRights: boolean;
  /** RFC 5819 LIST-STATUS items, or null. */
  status: StatusItem[] | null;
}

export interface AppendMessage {
  flags: string[];
  date: ImapDateTime | null;
  data: Buffer;
  /** Sent as literal8 (`~{n}`, RFC 3516) — may contain NUL. */
  binary: boolean;
  /** Sent as `UTF8 (~{n})` (RFC 6855 §4). */
  utf8: boolean;
}

export type SearchReturnOption = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

export type StoreAction = 'set' | 'add' | 'remove';

export type ImapCommand =
  | { kind: 'CAPABILITY' }
  | { kind: 'NOOP' }
  | { kind: 'LOGOUT' }
  | { kind: 'STARTTLS' }
  | { kind: 'CHECK' }
  | { kind: 'CLOSE' }
  | { kind: 'UNSELECT' }
  | { kind: 'IDLE' }
  | { kind: 'NAMESPACE' }
  /** `initialResponse`: base64 text; '' for `=` (RFC 4959 empty initial response); null when absent. */
  | { kind: 'AUTHENTICATE'; mechanism: string; initialResponse: string | null }
  | { kind: 'LOGIN'; username: string; password: string }
  | { kind: 'ENABLE'; capabilities: string[] }
  | { kind: 'SELECT' | 'EXAMINE'; mailbox: string; condstore: boolean; qresync: QresyncParams | null }
  | { kind: 'CREATE'; mailbox: string; specialUse: string[] }
  | { kind: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE'; mailbox: string }
  | { kind: 'RENAME'; from: string; to: string }
  | {
      kind: 'LIST';
      reference: string;
      patterns: string[];
      selection: ListSelection;
      returns: ListReturn;
      /** Any RFC 5258 syntax was used (selection options, several patterns or RETURN). */
      extended: boolean;
    }
  | { kind: 'LSUB'; reference: string; pattern: string }
  | { kind: 'STATUS'; mailbox: string; items: StatusItem[] }
  | { kind: 'APPEND'; mailbox: string; messages: AppendMessage[] }
  /** EXPUNGE, or UID EXPUNGE set (RFC 4315) when `uids` is set. */
  | { kind: 'EXPUNGE'; uids: SequenceSet | null }
  | {
      kind: 'SEARCH';
      uid: boolean;
      charset: string | null;
      /** RFC 4731 ESEARCH RETURN options; null = classic SEARCH response; [] is RETURN () = ALL. */
      returns: SearchReturnOption[] | null;
      criteria: SearchKey;
    }
  | {
      kind: 'FETCH';
      uid: boolean;
      set: SequenceSet;
      /** Macros are expanded; `UID` is not added for UID FETCH (the session adds it). */
      atts: FetchAtt[];
      /** RFC 7162 CHANGEDSINCE modifier. */
      changedSince: number | null;
      /** RFC 7162 §3.2.6 VANISHED modifier (only with UID FETCH and CHANGEDSINCE). */
      vanished: boolean;
    }
  | {
      kind: 'STORE';
      uid: boolean;
      set: SequenceSet;
      action: StoreAction;
      silent: boolean;
      flags: string[];
      unchangedSince: number | null;
    }
  | { kind: 'COPY' | 'MOVE'; uid: boolean; set: SequenceSet; mailbox: string }
  | {
      kind: 'SORT';
      uid: boolean;
      criteria: SortCriterion[];
      charset: string;
      returns: SearchReturnOption[] | null;
      search: SearchKey;
    }
  | { kind: 'THREAD'; uid: boolean; algorithm: 'REFERENCES' | 'ORDEREDSUBJECT'; charset: string; search: SearchKey }
  /** RFC 2971: field/value pairs or null for `ID NIL`. */
  | { kind: 'ID'; params: Array<[string, string | null]> | null }
  | { kind: 'GETQUOTA'; root: string }
  | { kind: 'GETQUOTAROOT'; mailbox: string }
  | { kind: 'SETQUOTA'; root: string; limits: Array<{ resource: string; limit: number }> }
  | { kind: 'COMPRESS'; mechanism: string }
  /** A command name we do not know: the session answers BAD. */
  | { kind: 'UNKNOWN'; name: string };

export interface ParsedCommand {
  tag: string;
  command: ImapCommand;
}
