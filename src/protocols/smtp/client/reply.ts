/**
 * SMTP replies as the outbound client sees them: the numeric code, the RFC 3463 enhanced status (taken from
 * the reply when present, RFC 2034 §3, else derived from the code's class), and one line of text.
 * Pure functions.
 */

export interface ParsedReply {
  code: number;
  enhanced: string;
  /** The reply text on one line (multi-line replies joined with spaces). */
  text: string;
}

/** Parses "550 5.1.1 <x>: no such user" (possibly multi-line); null when it does not start with a code. */
export function parseReply(reply: string): ParsedReply | null {
  const text = reply.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const m = /^([2-5]\d\d)[ -]?(?:([245]\.\d{1,3}\.\d{1,3})\b)?/.exec(text);
  if (!m) return null;
  const code = Number(m[1]);
  const enhanced = m[2] !== undefined && m[2][0] === m[1]![0] ? m[2] : defaultEnhanced(code);
  return { code, enhanced, text };
}

/** RFC 3463 §3.1: without an enhanced code, X.0.0 of the reply's class. */
export function defaultEnhanced(code: number): string {
  const c = Math.floor(code / 100);
  return c === 2 ? '2.0.0' : c === 4 ? '4.0.0' : '5.0.0';
}
