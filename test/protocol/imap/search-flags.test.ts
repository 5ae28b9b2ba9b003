/**
 * SEARCH flag keys (RFC 9051 §6.4.4: SEEN, UNSEEN, FLAGGED, DELETED, ANSWERED, DRAFT, KEYWORD, UNKEYWORD and their
 * negations, NEW), answered from the store's flag sets (search-eval.ts prepareFlags, Store.searchFlag). Flags
 * compare case-insensitively (RFC 3501 §2.3.2): keywords stored in several spellings, STORE with `\SEEN`, KEYWORD in
 * any case. Another session changes flags and expunges a message without the searcher being told, and a new
 * message arrives unannounced: SEARCH answers the store's current flags (as the flag listing did), leaves out
 * the expunged message while keeping the sequence numbers, and does not see the new one until it is announced.
 * The expected answers are worked out by hand from the table below.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, rawMessage, searchIds, startImapServer, USER } from './fixtures.js';

/** UIDs 1..10 as delivered; the other session then changes 1, 3 and expunges 9 (see `before`). */
const DELIVERED: string[][] = [
  ['\\Seen'],
  ['\\Flagged', '$Work'],
  [],
  ['\\Seen', '\\Answered', '$WORK'],
  ['\\Deleted', '\\Seen'],
  ['\\Draft', '$work', 'later'],
  ['\\Seen', '\\Flagged', '\\Answered', '\\Draft'],
  ['Other'],
  ['\\Flagged'],
  ['$Other', '\\Seen'],
];

/**
 * After the other session's changes (1: \Seen removed; 3: \Seen and $wORK added; 9: expunged), by UID:
 * 1 -, 2 \Flagged $Work, 3 \Seen $wORK, 4 \Seen \Answered $WORK, 5 \Deleted \Seen, 6 \Draft $work later,
 * 7 \Seen \Flagged \Answered \Draft, 8 Other, 10 $Other \Seen; and 11 (\Flagged) is new and not announced.
 */
const QUERIES: Array<[string, string]> = [
  ['UNSEEN', '1 2 6 8'],
  ['NOT SEEN', '1 2 6 8'],
  ['SEEN', '3 4 5 7 10'],
  ['NOT UNSEEN', '3 4 5 7 10'],
  ['FLAGGED', '2 7'],
  ['UNFLAGGED', '1 3 4 5 6 8 10'],
  ['DELETED', '5'],
  ['UNDELETED', '1 2 3 4 6 7 8 10'],
  ['NOT DELETED', '1 2 3 4 6 7 8 10'],
  ['ANSWERED', '4 7'],
  ['UNANSWERED', '1 2 3 5 6 8 10'],
  ['DRAFT', '6 7'],
  ['UNDRAFT', '1 2 3 4 5 8 10'],
  ['KEYWORD $work', '2 3 4 6'],
  ['KEYWORD $WORK', '2 3 4 6'],
  ['KEYWORD $wOrK', '2 3 4 6'],
  ['UNKEYWORD $Work', '1 5 7 8 10'],
  ['NOT KEYWORD $WORK', '1 5 7 8 10'],
  ['KEYWORD LATER', '6'],
  ['KEYWORD other', '8'],
  ['KEYWORD $OTHER', '10'],
  ['KEYWORD nothere', ''],
  ['UNKEYWORD nothere', '1 2 3 4 5 6 7 8 10'],
  ['NEW', '1 2 6 8'],
  ['UNSEEN UNDELETED', '1 2 6 8'],
  ['UNSEEN FLAGGED', '2'],
  ['OR FLAGGED KEYWORD Later', '2 6 7'],
  ['OR UNSEEN DELETED', '1 2 5 6 8'],
  ['NOT (SEEN UNDELETED)', '1 2 5 6 8'],
  ['SEEN ANSWERED UNDRAFT', '4'],
  ['UNSEEN 1:5', '1 2'],
  ['UNSEEN UID 6:*', '6 8'],
  ['SUBJECT message UNSEEN', '1 2 6 8'],
  ['NOT SUBJECT message FLAGGED', ''],
];

describe('IMAP SEARCH flag keys', () => {
  let srv: TestServer;
  let a: ImapTestClient;
  let b: ImapTestClient;
  const search = (q: string): Promise<{ ids: string; lines: string[] }> => searchIds(a, q);
  const ok = async (c: ImapTestClient, cmd: string): Promise<void> => {
    assert.match((await c.command(cmd)).tagged, / OK /, cmd);
  };

  before(async () => {
    srv = await startImapServer();
    for (const [i, flags] of DELIVERED.entries()) await deliver(srv.store, USER, rawMessage(`Message ${i + 1}`), { flags });
    a = await loggedIn(srv);
    await ok(a, 'SELECT INBOX'); // \Recent: 1-10
    b = await loggedIn(srv);
    await ok(b, 'SELECT INBOX');
    await ok(b, 'UID STORE 1 -FLAGS.SILENT (\\SEEN)');
    await ok(b, 'UID STORE 3 +FLAGS.SILENT (\\sEEn $wORK)');
    await ok(b, 'UID STORE 9 +FLAGS.SILENT (\\Deleted)');
    await ok(b, 'UID EXPUNGE 9');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await srv.close();
  });

  it('answers SEARCH from the store flags while the changes are not announced', async () => {
    for (const [q, want] of QUERIES) {
      // While 9 is pending (RFC 9051 §7.5.1: no EXPUNGE during SEARCH), sequence numbers equal UIDs.
      const bySeq = await search(`SEARCH ${q}`);
      assert.equal(bySeq.ids, want, `SEARCH ${q}`);
      assert.ok(!bySeq.lines.some((l) => / EXPUNGE$/.test(l)), `${q}: no EXPUNGE during SEARCH`);
    }
  });

  it('answers UID SEARCH the same (the expunge may then be announced)', async () => {
    for (const [q, want] of QUERIES) {
      if (/(?<!UID )\b\d+:/.test(q)) continue; // a sequence set: its numbers move once the expunge is announced
      assert.equal((await search(`UID SEARCH ${q}`)).ids, want, `UID SEARCH ${q}`);
    }
  });

  it('leaves out a new message until it is announced, then gives the new sequence numbers', async () => {
    await deliver(srv.store, USER, rawMessage('Message 11'), { flags: ['\\Flagged'] });
    // The expunge of 9 was announced by the UID SEARCHes above: 10 is sequence number 9.
    const first = await search('UID SEARCH FLAGGED');
    assert.equal(first.ids, '2 7', 'the view did not have 11 yet');
    assert.ok(first.lines.includes('* 10 EXISTS'), first.lines.join(' | '));
    await a.command('NOOP');
    // UIDs 10 and 11 are now sequence numbers 9 and 10.
    assert.equal((await search('UID SEARCH UNSEEN')).ids, '1 2 6 8 11');
    assert.equal((await search('SEARCH UNSEEN')).ids, '1 2 6 8 10');
    assert.equal((await search('UID SEARCH FLAGGED')).ids, '2 7 11');
    assert.equal((await search('SEARCH SEEN')).ids, '3 4 5 7 9');
    assert.equal((await search('UID SEARCH KEYWORD $WORK')).ids, '2 3 4 6');
    assert.equal((await search('UID SEARCH UNKEYWORD $work')).ids, '1 5 7 8 10 11');
  });
});
