/**
 * SEARCH SUBJECT answered from the store's exact ("sure") subject matches gives the answers of IMAP's exact check
 * (RFC 9051 §6.4.4: decoded, case-insensitive, every Subject field of prefix + header) for SUBJECT, HEADER SUBJECT,
 * NOT, OR with a flag, AND with BODY and SEARCH RETURN, including per-recipient prefixes with a Subject-like line,
 * without a final line feed or with an empty line. The expected answers are computed here with MessageFields (the
 * check the server ran on every candidate before). Then the blob files of the sure messages are deleted: the same
 * searches still answer the same, so the sure path reads no blob.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { extractSearchText } from '../../../src/mail/search-text.js';
import type { StoredMessage } from '../../../src/store/types.js';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { exactHeaderHits, loggedIn, rawMessage, searchIds, startImapServer, USER } from './fixtures.js';

const PLAIN = 'Return-Path: <sender@example.net>\r\nDelivered-To: alice@example.org\r\n';

/** [raw, prefix, flags, indexed] per message, UIDs 1.. in order. */
const MESSAGES: Array<[Buffer, string, string[], boolean]> = [
  [rawMessage('Quarterly report', 'numbers inside'), PLAIN, [], true],
  [rawMessage('=?utf-8?q?Gr=C3=BC=C3=9Fe_REPORT_M=C3=BCnchen?=', 'numbers again'), PLAIN, ['\\Flagged'], true],
  [rawMessage('First one', 'hello', 'Subject: Second report\r\n'), PLAIN, [], true],
  [Buffer.from('From: a@example.org\r\nTo: b@example.org\r\n\r\nno subject, numbers\r\n'), PLAIN, ['\\Flagged'], true],
  // a Subject-like line in the prefix: it is not a Subject field, but the prefix mentions "subject"
  [rawMessage('Weekly status', 'numbers'), 'X-Original-Subject: report\r\n' + PLAIN, [], true],
  // and a real Subject field in the prefix
  [rawMessage('Plain', 'hello'), PLAIN + 'Subject: prefixed report\r\n', ['\\Seen'], true],
  // without a final line feed the body's first line (its Subject) continues the prefix's last field
  [Buffer.from('Subject: glued report\r\nFrom: a@example.org\r\n\r\nnumbers\r\n'), 'Return-Path: <sender@example.net>', [], true],
  // an empty line in the prefix ends the header block before the body's fields
  [rawMessage('After the end report', 'numbers'), 'Return-Path: <sender@example.net>\r\n\r\n', [], true],
  [rawMessage('Never indexed report', 'numbers'), PLAIN, ['\\Flagged'], false],
  [rawMessage('Report card', 'numbers'), '', [], true],
  [Buffer.from(' stray continuation\r\nSubject: Stray report\r\nFrom: a@example.org\r\n\r\nnumbers\r\n'), PLAIN, [], true],
];

describe('IMAP SEARCH SUBJECT from exact stored subjects', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  let rows: StoredMessage[];
  let mailboxId: number;
  const search = async (q: string): Promise<string> => (await searchIds(c, `SEARCH ${q}`)).ids;
  /** IMAP's exact SUBJECT test on every message (reads the blobs). */
  const subjectHits = (needle: string): Promise<Set<number>> => exactHeaderHits(srv.store, rows, 'subject', needle);
  const flagged = (uid: number): boolean => MESSAGES[uid - 1]![2].includes('\\Flagged');
  const bodyHas = (uid: number, w: string): boolean => MESSAGES[uid - 1]![0].toString('utf8').toLowerCase().split('\r\n\r\n').slice(1).join('').includes(w);
  const list = (pred: (uid: number) => boolean): string => rows.map((m) => m.uid).filter(pred).join(' ');
  let expected: Array<[string, string]>;

  before(async () => {
    srv = await startImapServer();
    const s = srv.store;
    const account = (await s.getAccount(USER))!;
    for (const [raw, prefix, flags, indexed] of MESSAGES) {
      const structure = parseMessage(raw);
      const ref = await s.blobs.put(raw);
      const body = { blobId: ref.id, size: ref.size, structure, ...(indexed ? { searchText: extractSearchText(raw, structure) } : {}) };
      await s.deliver(body, [{ accountId: account.id, mailbox: 'INBOX', flags, prefix }]);
    }
    mailboxId = (await s.getMailbox(account.id, 'INBOX'))!.id;
    rows = await s.getMessages(mailboxId, MESSAGES.map((_, i) => i + 1));
    const report = await subjectHits('report');
    const empty = await subjectHits('');
    const munchen = await subjectHits('münchen');
    expected = [
      ['SUBJECT report', list((u) => report.has(u))],
      ['HEADER SUBJECT REPORT', list((u) => report.has(u))],
      ['NOT SUBJECT report', list((u) => !report.has(u))],
      ['OR SUBJECT report FLAGGED', list((u) => report.has(u) || flagged(u))],
      ['SUBJECT report BODY numbers', list((u) => report.has(u) && bodyHas(u, 'numbers'))],
      ['NOT SUBJECT report FLAGGED', list((u) => !report.has(u) && flagged(u))],
      ['SUBJECT ""', list((u) => empty.has(u))],
      ['NOT HEADER SUBJECT ""', list((u) => !empty.has(u))],
      ['CHARSET UTF-8 SUBJECT {8+}\r\nM\u00dcNCHEN', list((u) => munchen.has(u))],
    ];
  });
  after(async () => {
    await c?.close();
    await srv.close();
  });

  it('answers what the exact check on every message answers', async () => {
    // Hand-checked: 6 by its prefix's Subject; not 5 (X-Original-Subject), 7 (glued to Return-Path) nor 8 (past the header's end); 11 after the stray line.
    assert.equal(expected[0]![1], '1 2 3 6 9 10 11');
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    for (const [q, want] of expected) assert.equal(await search(q), want, q);
    const r = await c.command('SEARCH RETURN (COUNT MIN MAX) SUBJECT report');
    assert.ok(r.lines.some((l) => /ESEARCH .*MIN 1 MAX 11 COUNT 7/.test(l)), r.lines.join('\n'));
  });

  it('answers the same without the blobs of the sure messages: the sure path reads none', async () => {
    const { sure, maybe } = await srv.store.searchSubject(mailboxId, 'report');
    assert.deepEqual(sure, [1, 2, 3, 10]);
    assert.deepEqual(maybe, [5, 6, 7, 8, 9, 11]);
    const plainNoSubject = 4; // sure not to match: no Subject field, plain prefix
    for (const m of rows) if (sure.includes(m.uid) || m.uid === plainNoSubject) await rm(srv.store.blobs.pathOf(m.blobId));
    c ??= await loggedIn(srv);
    await c.command('SELECT INBOX');
    for (const [q, want] of expected) {
      if (q.includes('BODY')) continue; // BODY reads the text of its candidates
      assert.equal(await search(q), want, q);
    }
  });
});
