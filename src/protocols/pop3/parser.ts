/**
 * POP3 command-line parsing (RFC 1939 §3, RFC 2449 §3): pure, no I/O.
 *
 * A command is a case-insensitive keyword, then arguments separated by single spaces (we tolerate runs of
 * spaces and trailing spaces). PASS keeps the rest of the line verbatim, spaces included (RFC 1939 §7: "a
 * POP3 server may treat spaces in the argument as part of the password").
 */

export interface Pop3Command {
  /** Upper-cased keyword. */
  verb: string;
  /** Space-separated arguments (none empty). */
  args: string[];
  /** Everything after the first space, verbatim (PASS). */
  rest: string;
}

/** RFC 2449 §4: command lines are at most 255 octets including CRLF. */
export const MAX_COMMAND_LINE = 255;
/** AUTH lines and SASL responses may be longer (RFC 5034 §4 leaves them unlimited; we cap them). */
export const MAX_AUTH_LINE = 2048;
/** RFC 2449 §4: keywords are 3 or 4 characters; we accept up to this many printable characters. */
const MAX_KEYWORD = 8;

export function parseCommandLine(line: string): Pop3Command | null {
  const space = line.indexOf(' ');
  const keyword = space < 0 ? line : line.slice(0, space);
  if (keyword.length === 0 || keyword.length > MAX_KEYWORD || !/^[A-Za-z]+$/.test(keyword)) return null;
  const rest = space < 0 ? '' : line.slice(space + 1);
  return { verb: keyword.toUpperCase(), args: rest.split(' ').filter((a) => a !== ''), rest };
}

/** RFC 1939 §5 "msg": a message number, 1 or more; null when malformed. */
export function parseMessageNumber(arg: string): number | null {
  if (!/^[0-9]{1,10}$/.test(arg)) return null;
  const n = Number(arg);
  return n >= 1 && n <= 0xffffffff ? n : null;
}

/** RFC 1939 §7 TOP "n": a non-negative line count; null when malformed. */
export function parseLineCount(arg: string): number | null {
  if (!/^[0-9]{1,10}$/.test(arg)) return null;
  const n = Number(arg);
  return n <= 0xffffffff ? n : null;
}

/**
 * RFC 1939 §7 unique-id (1-70 characters 0x21-0x7E), derived from the IMAP UIDVALIDITY and UID as Dovecot's
 * `%08Xv%08Xu`: stable across sessions, and different after a UIDVALIDITY change, when UIDs are reused.
 */
export function uidlOf(uidValidity: number, uid: number): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
  return hex(uidValidity) + hex(uid);
}
