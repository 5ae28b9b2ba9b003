/**
 * The queue's view of outbound delivery (DESIGN.md "The queue is a target too"): a `Transport` takes one
 * message for recipients of ONE destination domain and answers with one result per recipient. It never
 * throws for a delivery problem (DNS, connection, SMTP reply): every problem becomes a per-recipient
 * `deferred` (retry later) or `failed` (bounce) result. protocols/smtp/client implements it; tests may
 * implement it too.
 *
 * Types only; no side effects.
 */

export interface OutboundMessage {
  /** Queue id, for logs. */
  id: string;
  /** Envelope sender; '' for the null reverse-path. */
  sender: string;
  /** Recipients, all in `domain`. */
  recipients: string[];
  /** Destination domain (A-label, lower-case). */
  domain: string;
  /** The message needs SMTPUTF8 from the next hop (RFC 6531). */
  smtputf8: boolean;
  /** The message was received as 8BITMIME (RFC 6152). */
  eightBit: boolean;
  /** The whole message. */
  data: Buffer;
}

export type RecipientStatus = 'delivered' | 'deferred' | 'failed';

export interface RecipientDeliveryResult {
  address: string;
  status: RecipientStatus;
  /** SMTP reply code, the remote server's or one made up here for a local diagnosis. */
  code: number;
  /** RFC 3463 status, e.g. "5.1.1". */
  enhanced: string;
  /** The remote reply ("550 5.1.1 <x>: no such user") or a local diagnosis ("connection refused"). */
  reply: string;
  /** True when `reply` is the remote server's own text (DSN Diagnostic-Code: smtp). */
  remote: boolean;
  /** Host name of the server that answered (DSN Remote-MTA), when one did. */
  remoteMta: string | null;
}

export interface Transport {
  deliver(message: OutboundMessage): Promise<RecipientDeliveryResult[]>;
  /** Closes idle pooled connections; deliveries in flight are not waited for. */
  close(): Promise<void>;
}
