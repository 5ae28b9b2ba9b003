/**
 * SEARCH over the whole mailbox without message summaries (search-eval.ts scanWithoutSummaries): NOT SUBJECT and
 * its combinations with FLAGGED, SEEN, KEYWORD, LARGER, UID and sequence sets, RECENT/OLD/NEW, and OR of those,
 * answer what the messages' subjects, flags, sizes and \Recent state say. The mailbox holds "maybe" SUBJECT
 * candidates (a Subject field in the per-recipient prefix, a Subject-like line that is not one), and two messages
 * expunged by another session but not yet announced to the searching one (one decidable from the store's
 * subjects, one a "maybe"): SEARCH by sequence number keeps their sequence numbers and leaves them out, as the
 * summary scan did. The expected answers come from the table below (worked out by hand), not from the server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { extractSearchText } from '../../../src/mail/search-text.js';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { loggedIn, rawMessage, searchIds, startImapServer, USER } from './fixtures.js';

const PLAIN = 'Return-Path: <sender@example.net>\r\n';
const BIG = 'x'.repeat(3000);

interface Msg {
  raw: Buffer;
  prefix: string;
  flags: string[];
  /** Whether SUBJECT report matches (decoded Subject fields of prefix + header), worked out by hand. */
  report: boolean;
  /** Whether LARGER 1500 matches. */
  large: boolean;
}

/** UIDs 1..12 in order. 1-6 are delivered before another session's SELECT takes their \Recent; 7-12 after. */
const MESSAGES: Msg[] = [
  { raw: rawMessage('Quarterly report'), prefix: PLAIN, flags: ['\\Seen'], report: true, large: false },
  { raw: rawMessage('Lunch'), prefix: PLAIN, flags: ['\\Flagged'], report: false, large: false },
  { raw: rawMessage('Lunch again'), prefix: PLAIN, flags: ['$Work'], report: false, large: false },
  // "maybe" candidates: a Subject field in the prefix (matches), a Subject-like line that is not one (does not)
  { raw: rawMessage('Status'), prefix: PLAIN + 'Subject: prefixed report\r\n', flags: [], report: true, large: false },
  { raw: rawMessage('Weekly status'), prefix: 'X-Original-Subject: report\r\n' + PLAIN, flags: ['\\Flagged', '\\Seen'], report: false, large: false },
  { raw: rawMessage('Big one', BIG), prefix: PLAIN, flags: ['\\Seen', '$Work'], report: false, large: true },
  { raw: rawMessage('report card'), prefix: PLAIN, flags: ['\\Flagged'], report: true, large: false },
  { raw: rawMessage('Notes'), prefix: PLAIN, flags: [], report: false, large: false },
  // 9 and 10 are expunged by the other session (9 decidable, 10 a "maybe") and not announced to the searcher
  { raw: rawMessage('Notes too'), prefix: PLAIN, flags: ['\\Flagged'], report: false, large: false },
  { raw: rawMessage('Another'), prefix: PLAIN + 'Subject: prefixed report\r\n', flags: ['\\Flagged'], report: true, large: false },
  { raw: rawMessage('Big report', BIG), prefix: PLAIN, flags: ['$Work', '\\Seen'], report: true, large: true },
  { raw: rawMessage('Plain'), prefix: PLAIN, flags: ['\\Flagged', '$Work'], report: false, large: false },
];
const EXPUNGED = new Set([9, 10]);

type Pred = (uid: number) => boolean;
const m = (uid: number): Msg => MESSAGES[uid - 1]!;
const has = (uid: number, flag: string): boolean => m(uid).flags.some((f) => f.toLowerCase() === flag.toLowerCase());
const report: Pred = (u) => m(u).report;
const recent: Pred = (u) => u >= 7; // the searcher selected after 1-6 were claimed by the other session
const seen: Pred = (u) => has(u, '\\Seen');
const flagged: Pred = (u) => has(u, '\\Flagged');
const work: Pred = (u) => has(u, '$Work');
const large: Pred = (u) => m(u).large;
const not =
  (p: Pred): Pred =>
  (u) =>
    !p(u);
const and =
  (...ps: Pred[]): Pred =>
  (u) =>
    ps.every((p) => p(u));
const or =
  (a: Pred, b: Pred): Pred =>
  (u) =>
    a(u) || b(u);
const within =
  (lo: number, hi: number): Pred =>
  (u) =>
    u >= lo && u <= hi;

/** While 9 and 10 are pending, sequence numbers equal UIDs. */
const QUERIES: Array<[string, Pred]> = [
  ['NOT SUBJECT report', not(report)],
  ['NOT SUBJECT report FLAGGED', and(not(report), flagged)],
  ['NOT SUBJECT report SEEN', and(not(report), seen)],
  ['NOT SUBJECT report UNSEEN', and(not(report), not(seen))],
  ['NOT SUBJECT report KEYWORD $Work', and(not(report), work)],
  ['NOT SUBJECT report UNKEYWORD $work', and(not(report), not(work))],
  ['NOT SUBJECT report LARGER 1500', and(not(report), large)],
  ['NOT SUBJECT report UID 3:8', and(not(report), within(3, 8))],
  ['NOT SUBJECT report 2:5', and(not(report), within(2, 5))],
  ['NOT SUBJECT report RECENT', and(not(report), recent)],
  ['NOT SUBJECT report OLD', and(not(report), not(recent))],
  ['NOT SUBJECT report NEW', and(not(report), recent, not(seen))],
  ['NOT (SUBJECT report FLAGGED)', not(and(report, flagged))],
  ['OR SUBJECT report FLAGGED', or(report, flagged)],
  ['OR NOT SUBJECT report SEEN', or(not(report), seen)],
  ['OR SUBJECT report KEYWORD $Work', or(report, work)],
  ['OR SUBJECT report LARGER 1500', or(report, large)],
  ['OR SUBJECT report UID 11:*', or(report, within(11, 12))],
  ['OR NOT SUBJECT report RECENT', or(not(report), recent)],
  ['OR NOT SUBJECT report 1:2', or(not(report), within(1, 2))],
  ['SUBJECT report', report],
  ['SUBJECT report UNSEEN', and(report, not(seen))],
  ['SUBJECT report 1:8', and(report, within(1, 8))],
  ['FLAGGED', flagged],
  ['NOT SEEN', not(seen)],
  ['ALL', () => true],
  ['RECENT', recent],
  ['UID 2:*', within(2, 12)],
  ['3:5', within(3, 5)],
  ['NOT UID 1:3', not(within(1, 3))],
];

describe('IMAP SEARCH over the whole mailbox without summaries', () => {
  let srv: TestServer;
  let a: ImapTestClient;
  let b: ImapTestClient;
  const uids = MESSAGES.map((_, i) => i + 1);
  const expect = (p: Pred, ids: (uid: number) => number = (u) => u): string =>
    uids
      .filter((u) => !EXPUNGED.has(u) && p(u))
      .map(ids)
      .join(' ');
  const search = (q: string): Promise<{ ids: string; lines: string[] }> => searchIds(a, q);

  before(async () => {
    srv = await startImapServer();
    const s = srv.store;
    const account = (await s.getAccount(USER))!;
    const put = async (msg: Msg): Promise<void> => {
      const structure = parseMessage(msg.raw);
      const ref = await s.blobs.put(msg.raw);
      const body = { blobId: ref.id, size: ref.size, structure, searchText: extractSearchText(msg.raw, structure) };
      await s.deliver(body, [{ accountId: account.id, mailbox: 'INBOX', flags: msg.flags, prefix: msg.prefix }]);
    };
    for (const msg of MESSAGES.slice(0, 6)) await put(msg);
    b = await loggedIn(srv);
    assert.match((await b.command('SELECT INBOX')).tagged, / OK /); // takes \Recent of 1-6
    await b.command('UNSELECT');
    for (const msg of MESSAGES.slice(6)) await put(msg);
    a = await loggedIn(srv);
    assert.match((await a.command('SELECT INBOX')).tagged, / OK /); // \Recent: 7-12
    assert.match((await b.command('SELECT INBOX')).tagged, / OK /);
    assert.match((await b.command('UID STORE 9:10 +FLAGS.SILENT (\\Deleted)')).tagged, / OK /);
    assert.match((await b.command('UID EXPUNGE 9:10')).tagged, / OK /);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await srv.close();
  });

  it('has the "maybe" candidates and sizes the table assumes', async () => {
    const account = (await srv.store.getAccount(USER))!;
    const box = (await srv.store.getMailbox(account.id, 'INBOX'))!;
    const { sure, maybe } = await srv.store.searchSubject(box.id, 'report');
    assert.deepEqual(maybe, [4, 5]); // 10 is gone from the store
    assert.deepEqual(sure, [1, 7, 11]);
    for (const s of await srv.store.listMessages(box.id)) assert.equal(s.size > 1500, m(s.uid).large, `size of ${s.uid}`);
  });

  it('answers SEARCH by sequence number while the expunges are pending', async () => {
    for (const [q, p] of QUERIES) {
      const r = await search(`SEARCH ${q}`);
      assert.equal(r.ids, expect(p), q);
      assert.ok(!r.lines.some((l) => / EXPUNGE$/.test(l)), `${q}: no EXPUNGE during SEARCH`);
    }
    // By hand: sequence numbers 8:10 are still UIDs 8-10; 9 and 10 are gone, 8 lacks "report".
    assert.equal((await search('SEARCH NOT SUBJECT report 8:10')).ids, '8');
    assert.equal((await search('SEARCH OR SUBJECT report UNSEEN 9:*')).ids, '11 12');
  });

  it('answers UID SEARCH, then SEARCH with the sequence numbers after the expunges are announced', async () => {
    for (const [q, p] of QUERIES) assert.equal((await search(`UID SEARCH ${q}`)).ids, expect(p), q);
    await a.command('NOOP');
    const seqOf = (u: number): number => uids.filter((x) => !EXPUNGED.has(x)).indexOf(u) + 1;
    // The sequence sets of the table stay below the gap (UIDs 1-8 keep their numbers): only the numbering moves.
    for (const [q, p] of QUERIES) assert.equal((await search(`SEARCH ${q}`)).ids, expect(p, seqOf), q);
    // Across the gap, by hand: sequence numbers 8:10 are now UIDs 8, 11 and 12, of which 8 and 12 lack "report".
    assert.equal((await search('SEARCH NOT SUBJECT report 8:10')).ids, '8 10');
    assert.equal((await search('SEARCH OR SUBJECT report UNSEEN 9:*')).ids, '9 10'); // UIDs 11 (report) and 12 (unseen)
  });
});
