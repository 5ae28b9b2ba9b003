import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../../src/protocols/imap/proto/errors.js';
import {
  dayStartMs,
  formatImapDateTime,
  formatImapDay,
  formatInternalDate,
  parseImapDateTime,
  parseImapDay,
} from '../../../../../src/protocols/imap/proto/dates.js';

const invalid = (e: unknown) => e instanceof ParseError && e.kind === 'invalid-date';

test('parses a SEARCH date with one or two day digits', () => {
  assert.deepEqual(parseImapDay('1-Feb-1994'), { year: 1994, month: 2, day: 1 });
  assert.deepEqual(parseImapDay('29-feb-2000'), { year: 2000, month: 2, day: 29 });
  assert.equal(formatImapDay({ year: 1994, month: 2, day: 1 }), '1-Feb-1994');
});

test('rejects impossible or malformed dates', () => {
  for (const bad of ['30-Feb-1994', '29-Feb-1900', '0-Jan-2000', '1-Foo-1994', '1-Feb-94', '1 Feb 1994', '']) {
    assert.throws(() => parseImapDay(bad), invalid, bad);
  }
});

test('parses a date-time with its zone', () => {
  const dt = parseImapDateTime('17-Jul-1996 02:44:25 -0700');
  assert.equal(dt.date.toISOString(), '1996-07-17T09:44:25.000Z');
  assert.equal(dt.offsetMinutes, -420);
  assert.equal(parseImapDateTime(' 7-Jul-1996 02:44:25 +0000').date.toISOString(), '1996-07-07T02:44:25.000Z');
});

test('rejects malformed date-times', () => {
  for (const bad of ['17-Jul-1996 24:00:00 +0000', '17-Jul-1996 02:44 -0700', '17-Jul-1996 02:44:25', '7-Jul-1996 02:44:25 +0000']) {
    assert.throws(() => parseImapDateTime(bad), invalid, bad);
  }
});

test('formats INTERNALDATE in a zone and round-trips', () => {
  const ms = Date.UTC(1996, 6, 17, 9, 44, 25);
  assert.equal(formatInternalDate(ms, -420), '"17-Jul-1996 02:44:25 -0700"');
  assert.equal(formatImapDateTime(new Date(ms)), '17-Jul-1996 09:44:25 +0000');
  assert.equal(formatImapDateTime(Date.UTC(2024, 0, 5, 1, 2, 3), 330), '05-Jan-2024 06:32:03 +0530');
  assert.equal(parseImapDateTime(formatImapDateTime(ms, 330)).date.getTime(), ms);
});

test('day start honours the zone offset', () => {
  assert.equal(dayStartMs({ year: 2024, month: 1, day: 2 }, 60), Date.UTC(2024, 0, 1, 23, 0, 0));
});
