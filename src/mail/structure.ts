/**
 * The cached parse of a message: what IMAP needs to answer ENVELOPE, BODYSTRUCTURE, BODY[section] and
 * SEARCH without re-parsing the message. Computed once at delivery/APPEND (see `parse-message.ts`) and kept
 * by the store as JSON next to the body. Offsets are byte offsets into the stored body (the blob), so a
 * section is served by reading a byte range.
 *
 * Bump `STRUCTURE_VERSION` whenever the shape changes; the store re-parses bodies with an older version.
 */

export const STRUCTURE_VERSION = 1;

/**
 * RFC 3501 §7.4.2 ENVELOPE address: [name, adl, mailbox, host]; group syntax uses host = null markers
 * (start: mailbox = group name; end: all null). Strings are raw (encoded-words kept, quotes removed). An
 * address with no local part or no domain gets "MISSING_MAILBOX" / "MISSING_DOMAIN" (as Dovecot does), so a
 * null host always means a group marker.
 */
export interface EnvelopeAddress {
  name: string | null;
  adl: string | null;
  mailbox: string | null;
  host: string | null;
}

/** RFC 3501 §7.4.2 ENVELOPE, fields as raw (undecoded) header values, as IMAP requires. */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/** One MIME entity. Offsets are absolute within the body blob. */
export interface MimePart {
  /** Start of this entity's header block. */
  headerStart: number;
  /** Start of this entity's body (just past the blank line ending the header, or end of data if none). */
  bodyStart: number;
  /** End of this entity's body (exclusive). */
  bodyEnd: number;
  /** Lower-case type and subtype; defaults per RFC 2045 (text/plain, or message/rfc822 in multipart/digest). */
  type: string;
  subtype: string;
  /**
   * Content-Type parameters, names lower-cased, RFC 2231 continuations and charsets decoded, RFC 2047 words in
   * values decoded. Values may therefore hold non-ASCII: an IMAP encoder without UTF8=ACCEPT must re-encode
   * them (e.g. RFC 2231 `name*=utf-8''...`). text/* always has a charset (default "us-ascii", RFC 2046 §4.1.2).
   */
  params: Record<string, string>;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding, upper-cased as IMAP shows it; "7BIT" when absent. */
  encoding: string;
  md5: string | null;
  disposition: { type: string; params: Record<string, string> } | null;
  language: string[] | null;
  location: string | null;
  /** Body size in octets (bodyEnd - bodyStart). */
  size: number;
  /**
   * Number of lines in the body (LF-terminated lines plus a final unterminated one), for text/*,
   * message/rfc822 and message/global; 0 otherwise.
   */
  lines: number;
  /**
   * Children of a multipart/* (never empty). A multipart or message/* that could not be expanded (no boundary,
   * nesting or part-count cap, encoded message/*) is stored as an application/octet-stream leaf instead.
   */
  parts?: MimePart[];
  /** For message/rfc822 (and message/global): the encapsulated message. */
  message?: { envelope: Envelope; root: MimePart };
}

export interface MessageStructure {
  version: number;
  /**
   * Size with every line ending CRLF and the last line terminated (crlf-size.ts): what POP3 reports. Absent in
   * structures stored before it existed; readers then compute it from the bytes.
   */
  crlfSize?: number;
  /** End of the top-level header block (= root.bodyStart). */
  headerEnd: number;
  envelope: Envelope;
  root: MimePart;
}
