/**
 * SEARCH size and date keys answered from the store's sets (search-eval.ts prepareRanges, Store.searchRange):
 * ON/SINCE/BEFORE compare the internal date's UTC day, SENTON/SENTSINCE/SENTBEFORE the Date header's day as
 * written "disregarding time and timezone" (RFC 9051 §6.4.4), with the internal date standing in for a missing or
 * unreadable Date, and LARGER/SMALLER are strict at the exact size. The messages sit on day boundaries (23:59:59.999
 * and 00:00 UTC internal dates, Date headers in +1400 and -1200, a two-digit year, a "31 Jun" that rolls over to
 * 1 Jul as the check always did). The expected answers are worked out by hand (table below); UID THREAD, which
 * still evaluates every key on the stored rows (withStored), must select the same messages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, searchIds, startImapServer, USER } from './fixtures.js';

interface Msg {
  internal: string;
  /** The Date header line's value, or null for none. */
  date: string | null;
  /** Worked out by hand: the UTC day of the internal date and the day SENT* keys compare. */
  internalDay: string;
  sentDay: string;
}

const MESSAGES: Msg[] = [
  { internal: '2022-06-02T11:30:00.000Z', date: 'Wed, 1 Jun 2022 23:30:00 -1200', internalDay: '2022-06-02', sentDay: '2022-06-01' },
  { internal: '2022-06-01T10:30:00.000Z', date: 'Thu, 2 Jun 2022 00:30:00 +1400', internalDay: '2022-06-01', sentDay: '2022-06-02' },
  // no Date header: the internal date (31 May, a millisecond before 1 Jun UTC)
  { internal: '2022-05-31T23:59:59.999Z', date: null, internalDay: '2022-05-31', sentDay: '2022-05-31' },
  // an unreadable Date header: the internal date
  { internal: '2022-06-02T00:00:00.000Z', date: 'not a date at all', internalDay: '2022-06-02', sentDay: '2022-06-02' },
  // RFC 5322 §4.3 two-digit year
  { internal: '2022-06-03T12:00:00.000Z', date: '3 Jun 22 01:00 +0000', internalDay: '2022-06-03', sentDay: '2022-06-03' },
  // "31 Jun" rolls over to 1 Jul
  { internal: '2022-06-01T00:00:00.000Z', date: 'Fri, 31 Jun 2022 10:00:00 +0000', internalDay: '2022-06-01', sentDay: '2022-07-01' },
  { internal: '2022-06-01T23:59:59.999Z', date: 'Tue, 31 May 2022 23:59:59 -1200', internalDay: '2022-06-01', sentDay: '2022-05-31' },
];

const uidsWhere = (p: (m: Msg) => boolean): string =>
  MESSAGES.flatMap((m, i) => (p(m) ? [i + 1] : [])).join(' ');

/** Day keys: [query, predicate over the table]. */
const DAY_QUERIES: Array<[string, (m: Msg) => boolean]> = [
  ['ON 1-Jun-2022', (m) => m.internalDay === '2022-06-01'],
  ['ON 31-May-2022', (m) => m.internalDay === '2022-05-31'],
  ['SINCE 2-Jun-2022', (m) => m.internalDay >= '2022-06-02'],
  ['BEFORE 1-Jun-2022', (m) => m.internalDay < '2022-06-01'],
  ['BEFORE 2-Jun-2022', (m) => m.internalDay < '2022-06-02'],
  ['SENTON 1-Jun-2022', (m) => m.sentDay === '2022-06-01'],
  ['SENTON 2-Jun-2022', (m) => m.sentDay === '2022-06-02'],
  ['SENTON 31-May-2022', (m) => m.sentDay === '2022-05-31'],
  ['SENTON 1-Jul-2022', (m) => m.sentDay === '2022-07-01'],
  ['SENTSINCE 2-Jun-2022', (m) => m.sentDay >= '2022-06-02'],
  ['SENTSINCE 1-Jul-2022', (m) => m.sentDay >= '2022-07-01'],
  ['SENTBEFORE 2-Jun-2022', (m) => m.sentDay < '2022-06-02'],
  ['SENTBEFORE 1-Jun-2022', (m) => m.sentDay < '2022-06-01'],
  ['NOT SENTON 2-Jun-2022', (m) => m.sentDay !== '2022-06-02'],
  ['OR SENTON 3-Jun-2022 ON 31-May-2022', (m) => m.sentDay === '2022-06-03' || m.internalDay === '2022-05-31'],
  ['SENTSINCE 1-Jun-2022 SENTBEFORE 3-Jun-2022', (m) => m.sentDay >= '2022-06-01' && m.sentDay < '2022-06-03'],
  ['SENTSINCE 1-Jun-2022 BEFORE 2-Jun-2022', (m) => m.sentDay >= '2022-06-01' && m.internalDay < '2022-06-02'],
];

describe('IMAP SEARCH on sizes, internal dates and sent dates', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  const search = async (q: string): Promise<string> => (await searchIds(c, q)).ids;
  const threadUids = async (q: string): Promise<string> => {
    const r = await c.command(`UID THREAD REFERENCES UTF-8 ${q}`);
    assert.match(r.tagged, / OK /, q);
    const line = r.lines.find((l) => l.startsWith('* THREAD')) ?? '';
    return [...line.matchAll(/\d+/g)].map((x) => Number(x[0])).sort((a, b) => a - b).join(' ');
  };

  before(async () => {
    srv = await startImapServer();
    for (const [i, m] of MESSAGES.entries()) {
      // Distinct sizes: message i + 1 has i * 10 more body bytes.
      const raw = Buffer.from(
        `From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\nSubject: day ${i + 1}\r\n` +
          (m.date === null ? '' : `Date: ${m.date}\r\n`) +
          `Message-ID: <day${i + 1}@example.org>\r\n\r\nHello ${'z'.repeat(i * 10)}\r\n`,
      );
      await deliver(srv.store, USER, raw, { date: new Date(m.internal) });
    }
    c = await loggedIn(srv);
    assert.match((await c.command('SELECT INBOX')).tagged, / OK /);
  });
  after(async () => {
    await c?.close();
    await srv.close();
  });

  it('compares internal dates by UTC day and sent dates by the day written in the Date header', async () => {
    for (const [q, p] of DAY_QUERIES) {
      assert.equal(await search(`UID SEARCH ${q}`), uidsWhere(p), q);
      assert.equal(await search(`SEARCH ${q}`), uidsWhere(p), q); // no expunge: sequence numbers are UIDs
    }
    // Spelled out for the boundaries:
    assert.equal(await search('UID SEARCH ON 1-Jun-2022'), '2 6 7');
    assert.equal(await search('UID SEARCH SENTON 2-Jun-2022'), '2 4');
    assert.equal(await search('UID SEARCH SENTBEFORE 1-Jun-2022'), '3 7');
    assert.equal(await search('UID SEARCH SENTSINCE 1-Jun-2022 BEFORE 2-Jun-2022'), '2 6');
  });

  it('selects what the stored-row evaluation (THREAD) selects', async () => {
    for (const [q, p] of DAY_QUERIES) assert.equal(await threadUids(q), uidsWhere(p), q);
  });

  it('treats LARGER and SMALLER as strict at the exact size', async () => {
    const r = await c.command('UID FETCH 1:* RFC822.SIZE');
    const sizes = new Map<number, number>();
    for (const l of r.lines) {
      const m = /UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)/.exec(l);
      if (m) sizes.set(Number(m[1] ?? m[4]), Number(m[2] ?? m[3]));
    }
    assert.equal(sizes.size, MESSAGES.length);
    const s = sizes.get(4)!;
    const where = (p: (n: number) => boolean): string =>
      [...sizes].filter(([, n]) => p(n)).map(([u]) => u).sort((a, b) => a - b).join(' ');
    assert.equal(await search(`UID SEARCH LARGER ${s - 1} SMALLER ${s + 1}`), '4');
    assert.equal(await search(`UID SEARCH LARGER ${s}`), where((n) => n > s));
    assert.equal(await search(`UID SEARCH LARGER ${s}`), '5 6 7');
    assert.equal(await search(`UID SEARCH SMALLER ${s}`), '1 2 3');
    assert.equal(await search(`UID SEARCH NOT LARGER ${s}`), '1 2 3 4');
    assert.equal(await search('UID SEARCH LARGER 0'), '1 2 3 4 5 6 7');
    assert.equal(await search('UID SEARCH SMALLER 0'), '');
    assert.equal(await search('UID SEARCH LARGER 4294967295'), '');
    const s2 = sizes.get(2)!;
    assert.equal(await search(`UID SEARCH OR SMALLER ${s2 + 1} SENTON 1-Jul-2022`), where((n) => n <= s2 || n === sizes.get(6)));
    assert.equal(await threadUids(`LARGER ${s}`), '5 6 7');
  });
});
