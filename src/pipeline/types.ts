/**
 * The pipeline's vocabulary (DESIGN.md "How a message flows", maddy's checks and two-phase delivery):
 *
 * - `Envelope`: what the receiving protocol learned (MAIL FROM, RCPT TO with DSN parameters, client).
 * - `Check`: hooks per SMTP phase (connect → mail from → rcpt → data) returning a `Verdict`.
 * - `Target` / `DeliveryTarget`: delivery in two phases. `Target.start(envelope)` opens one message's
 *   delivery; `addRcpt` validates and records a recipient, `body` receives the bytes (may write a blob,
 *   which is unreferenced and garbage-collected unless committed), `commit` makes the delivery visible and
 *   returns one result per accepted recipient, `abort` drops it. Nothing a reader can see exists before commit.
 *
 * Types only; no side effects.
 */

import type { MailError } from '../lib/errors.js';
import type { Account, BlobRef, DeliveryResult, DsnNotify } from '../store/types.js';

export interface ClientInfo {
  /** Remote IP address as the socket reports it (may be IPv4-mapped IPv6). */
  ip: string;
  /** HELO/EHLO argument; '' before the greeting or for local injection. */
  helo: string;
  /** Forward-confirmed reverse DNS name, when looked up (null: no or unconfirmed PTR). */
  ptrName?: string | null;
  tls?: { version: string; cipher: string };
  /** SASL authorization identity (the account address) after AUTH. */
  authUser?: string;
}

/** How the message came in; shapes the Received header's "with" clause and the policies applied. */
export type ReceivedVia = 'smtp' | 'submission' | 'lmtp' | 'local';

export interface EnvelopeRecipient {
  /** Address as given in RCPT TO (without angle brackets). */
  address: string;
  /** RFC 3461 §4.1 NOTIFY. */
  notify?: DsnNotify[] | null;
  /** RFC 3461 §4.2 ORCPT, "addr-type;xtext-decoded address". */
  orcpt?: string | null;
}

export interface Envelope {
  /** Reverse-path; '' for the null sender `<>` (bounces). */
  sender: string;
  recipients: EnvelopeRecipient[];
  /** RFC 3461 §4.4 ENVID. */
  envid?: string | null;
  /** RFC 3461 §4.3 RET. */
  ret?: 'FULL' | 'HDRS' | null;
  /** RFC 6531 SMTPUTF8 was given on MAIL FROM. */
  smtputf8: boolean;
  /** RFC 6152 BODY= parameter. */
  body: '7BIT' | '8BITMIME' | 'BINARYMIME';
  client: ClientInfo;
  receivedVia: ReceivedVia;
  /** Queue/log id of this transaction, when the caller made one. */
  id?: string;
}

/** One phase's answer. `tag` adds a header line (e.g. Authentication-Results) and lets the message go on. */
export type Verdict =
  | { kind: 'accept' }
  | { kind: 'reject'; error: MailError }
  | { kind: 'tag'; header: string };

/** What a data-phase check sees: the header block (through the blank line) and the whole message. */
export interface MessageView {
  header: Buffer;
  body: Buffer;
}

/**
 * A policy check. Every hook is optional; a missing hook accepts. Hooks are pure decisions behind injected
 * I/O (DNS, store), and throw only for bugs: a temporary lookup failure is a `reject` with a 4xx MailError.
 */
export interface Check {
  readonly name: string;
  connect?(client: ClientInfo): Promise<Verdict>;
  mailFrom?(client: ClientInfo, sender: string, envelope: Readonly<Envelope>): Promise<Verdict>;
  rcpt?(recipient: EnvelopeRecipient, envelope: Readonly<Envelope>): Promise<Verdict>;
  data?(message: MessageView, envelope: Readonly<Envelope>): Promise<Verdict>;
}

/** A recipient routed to a target: the final address (after alias expansion) and its origin. */
export interface RoutedRecipient {
  /** Address delivered to: an account's address (local, with +tag if any) or a remote address. */
  address: string;
  /** The local account, for local targets. */
  account?: Account;
  /** The envelope recipient this one was expanded from (DSN parameters, per-RCPT replies). */
  original: EnvelopeRecipient;
}

export interface RecipientResult {
  recipient: RoutedRecipient;
  /** null on success. */
  error: MailError | null;
  /** Where a local copy landed. */
  delivery?: DeliveryResult;
  /** Queue entry id of a remote recipient. */
  queueId?: string;
}

/** The message's bytes for `DeliveryTarget.body`: the full message (caller's Received header included). */
export interface MessageBody {
  data: Buffer;
  /** The same bytes already in the BlobStore (written once per message and shared by every target). */
  blob?: BlobRef;
}

export interface DeliveryTarget {
  /** Phase 1: accepts or rejects (throws MailError) one recipient; nothing is persisted. */
  addRcpt(rcpt: RoutedRecipient): Promise<void>;
  /** Receives the message; throws MailError when the whole message cannot be taken. */
  body(body: MessageBody): Promise<void>;
  /** Phase 2: makes the delivery durable and visible; one result per accepted recipient, in addRcpt order. */
  commit(): Promise<RecipientResult[]>;
  abort(): Promise<void>;
}

export interface Target {
  readonly name: string;
  start(envelope: Readonly<Envelope>): Promise<DeliveryTarget>;
}
