/**
 * The calendar day of a message's Date header as SEARCH SENTBEFORE/SENTON/SENTSINCE compare it (RFC 9051 §6.4.4
 * "disregarding time and timezone"): the day, month and year as written, in the header's own zone. Pure; shared
 * by the IMAP check (message-fields.ts) and the store's per-body column of it (SQLite migration 9), which must
 * agree exactly.
 */

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

/** The calendar day of an RFC 5322 date as written (its own zone), or null when none can be read. */
export function sentDay(date: string | null): { year: number; month: number; day: number } | null {
  if (!date) return null;
  const m = /(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})/.exec(date);
  if (!m) return null;
  const month = MONTHS[m[2]!.toLowerCase()];
  if (!month) return null;
  let year = Number(m[3]);
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900; // RFC 5322 §4.3 obsolete two/three-digit years
  return { year, month, day: Number(m[1]) };
}

/**
 * Milliseconds of 00:00 UTC of sentDay(date) (Date.UTC, so an out-of-range day such as "31 Feb" rolls over as the
 * IMAP check's comparison does), or null when the header gives no day: SEARCH then uses the internal date.
 */
export function sentDayMs(date: string | null): number | null {
  const d = sentDay(date);
  return d === null ? null : Date.UTC(d.year, d.month - 1, d.day);
}
