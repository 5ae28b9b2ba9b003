/**
 * IMAP dates: RFC 9051 §9 `date` (SEARCH: `1-Feb-1994`) and `date-time` (APPEND, INTERNALDATE:
 * `"17-Jul-1996 02:44:25 -0700"`). Parsing validates the calendar (no 31-Feb); formatting writes the
 * fixed-width form servers send. Pure; errors are ParseError('invalid-date').
 */

import { ParseError } from './errors.js';

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** A calendar day without time or zone (SEARCH dates compare in the server's chosen zone). */
export interface ImapDay {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
}

export interface ImapDateTime {
  /** The instant. */
  date: Date;
  /** The zone offset written by the client, in minutes east of UTC (-0700 → -420). */
  offsetMinutes: number;
}

function bad(text: string): never {
  throw new ParseError('invalid-date', `Invalid date: ${text.slice(0, 40)}`);
}

function monthIndex(m: string, text: string): number {
  const i = MONTHS.findIndex((x) => x.toLowerCase() === m.toLowerCase());
  if (i < 0) bad(text);
  return i + 1;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** RFC 9051 §9 date-text = date-day "-" date-month "-" date-year (day 1 or 2 digits); quotes removed by caller. */
export function parseImapDay(text: string): ImapDay {
  const m = /^([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})$/.exec(text);
  if (!m) bad(text);
  const day = Number(m[1]);
  const month = monthIndex(m[2]!, text);
  const year = Number(m[3]);
  if (day < 1 || day > daysInMonth(year, month)) bad(text);
  return { year, month, day };
}

/** Milliseconds of 00:00 of the day at the given zone offset (minutes east of UTC; 0 = UTC). */
export function dayStartMs(d: ImapDay, offsetMinutes = 0): number {
  return Date.UTC(d.year, d.month - 1, d.day) - offsetMinutes * 60_000;
}

/** RFC 9051 §9 date-time (without the quotes): date-day-fixed "-" date-month "-" date-year SP time SP zone. */
export function parseImapDateTime(text: string): ImapDateTime {
  const m = /^([ 0-9][0-9])-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})$/.exec(text);
  if (!m) bad(text);
  const day = Number(m[1]!.trim());
  const month = monthIndex(m[2]!, text);
  const year = Number(m[3]);
  const hh = Number(m[4]);
  const mm = Number(m[5]);
  const ss = Number(m[6]);
  const zh = Number(m[8]);
  const zm = Number(m[9]);
  if (day < 1 || day > daysInMonth(year, month) || hh > 23 || mm > 59 || ss > 60 || zm > 59 || zh > 23) bad(text);
  const offsetMinutes = (m[7] === '-' ? -1 : 1) * (zh * 60 + zm);
  const ms = Date.UTC(year, month - 1, day, hh, mm, Math.min(ss, 59)) - offsetMinutes * 60_000;
  return { date: new Date(ms), offsetMinutes };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Formats an instant as an IMAP date-time (without quotes) in the given zone: `17-Jul-1996 02:44:25 -0700`.
 * The day is written as two digits (RFC 9051 §9 date-day-fixed allows SP DIGIT or 2DIGIT).
 */
export function formatImapDateTime(date: Date | number, offsetMinutes = 0): string {
  const ms = (typeof date === 'number' ? date : date.getTime()) + offsetMinutes * 60_000;
  const d = new Date(ms);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${pad2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${String(d.getUTCFullYear()).padStart(4, '0')} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ` +
    `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`
  );
}

/** INTERNALDATE value as sent in FETCH, with the quotes: `"17-Jul-1996 02:44:25 -0700"`. */
export function formatInternalDate(date: Date | number, offsetMinutes = 0): string {
  return `"${formatImapDateTime(date, offsetMinutes)}"`;
}

/** Formats a day as `1-Feb-1994` (for SEARCH keys written back, e.g. in tests or logs). */
export function formatImapDay(d: ImapDay): string {
  return `${d.day}-${MONTHS[d.month - 1]}-${d.year}`;
}
