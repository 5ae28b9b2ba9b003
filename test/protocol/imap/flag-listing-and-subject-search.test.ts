/**
 * The fast paths of FETCH FLAGS (lines made by SQLite, or the packed listing), FETCH BODYSTRUCTURE from the cached
 * texts, and SEARCH SUBJECT from the stored decoded subjects answer exactly what the general paths answer: FLAGS
 * is compared with the summary path (the same FETCH plus RFC822.SIZE), BODYSTRUCTURE with its first (encoding)
 * fetch, and SUBJECT with the hand-checked RFC 9051 §6.4.4 answers (decoded, case-insensitive, every Subject field,
 * the per-recipient prefix included).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { extractSearchText } from '../../../src/mail/search-text.js';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

/** The FETCH lines of a reply with ` RFC822.SIZE n` removed. */
function withoutSize(lines: readonly string[]): string[] {
  return lines.filter((l) => / FETCH \(/.test(l)).map((l) => l.replace(/ RFC822\.SIZE \d+/, ''));
}

describe('IMAP FETCH FLAGS / BODYSTRUCTURE fast paths and SEARCH SUBJECT from stored subjects', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  let d: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    const s = srv.store;
    await deliver(s, USER, rawMessage('Quarterly report 100%'));
    await deliver(s, USER, rawMessage('=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?='), { flags: ['\\Seen'] });
    // two Subject fields: both count
    await deliver(s, USER, rawMessage('First one', 'x', 'Subject: Second xylograph\r\n'), { flags: ['\\Seen', '\\Flagged', '$Label1'] });
    // folded
    await deliver(s, USER, rawMessage('Long\r\n folded xylograph title'), { flags: ['Work'] });
    // no Subject at all
    await deliver(s, USER, Buffer.from('From: a@example.org\r\nTo: b@example.org\r\n\r\nno subject\r\n'), { flags: ['\\Draft', '\\Answered'] });
    // the header starts with a continuation line (after a prefix it continues the prefix's last field)
    await deliver(s, USER, Buffer.from(' stray continuation\r\nSubject: Stray xylograph\r\nFrom: a@example.org\r\n\r\nbody\r\n'), { flags: ['\\Deleted'] });
    // a per-recipient prefix with its own Subject field
    const raw = rawMessage('Plain');
    const structure = parseMessage(raw);
    const ref = await s.blobs.put(raw);
    const account = (await s.getAccount(USER))!;
    await s.deliver({ blobId: ref.id, size: ref.size, structure, searchText: extractSearchText(raw, structure) }, [
      { accountId: account.id, mailbox: 'INBOX', prefix: 'Return-Path: <x@example.net>\r\nSubject: prefixed xylograph\r\n' },
    ]);
    await deliver(s, USER, rawMessage('ab cd'), { flags: ['\\Seen', 'Work', '$Label1'] });
    // c takes \Recent for all eight (the packed listing path); d sees none (the SQLite lines path).
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    d = await loggedIn(srv);
    await d.command('SELECT INBOX');
  });
  after(async () => {
    await c.close();
    await d.close();
    await srv.close();
  });

  it('FETCH FLAGS gives the bytes of the summary path, with \\Recent, keywords, sparse sets and MODSEQ', async () => {
    for (const [client, set] of [
      [c, '1:*'],
      [d, '1:*'],
      [d, '1,3,5:6'],
      [c, '2,4:*'],
    ] as const) {
      for (const items of ['FLAGS', 'UID FLAGS', 'FLAGS UID', 'FLAGS MODSEQ']) {
        const fast = (await client.command(`FETCH ${set} (${items})`)).lines;
        const general = withoutSize((await client.command(`FETCH ${set} (${items} RFC822.SIZE)`)).lines);
        assert.deepEqual(fast, general, `${set} (${items})`);
        assert.ok(fast.length > 0);
      }
    }
    assert.deepEqual((await d.command('UID FETCH 3 (FLAGS)')).lines, ['* 3 FETCH (UID 3 FLAGS (\\Seen \\Flagged $Label1))']);
    assert.deepEqual((await c.command('FETCH 5 (FLAGS)')).lines, ['* 5 FETCH (FLAGS (\\Answered \\Draft \\Recent))']);
    assert.deepEqual((await d.command('FETCH 8 (FLAGS)')).lines, ['* 8 FETCH (FLAGS (\\Seen Work $Label1))']);
  });

  it('FETCH FLAGS (CHANGEDSINCE) lists only the changed messages, as the summary path does', async () => {
    const modseqs = (await d.command('FETCH 1:* (MODSEQ)')).lines.map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
    const since = Math.max(...modseqs);
    await d.command('STORE 2,7 +FLAGS.SILENT (Later)');
    const fast = (await d.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${since})`)).lines;
    const general = withoutSize((await d.command(`FETCH 1:* (FLAGS RFC822.SIZE) (CHANGEDSINCE ${since})`)).lines);
    assert.deepEqual(fast, general);
    assert.deepEqual(
      fast.map((l) => l.replace(/MODSEQ \(\d+\)/, 'MODSEQ')),
      ['* 2 FETCH (FLAGS (\\Seen Later) MODSEQ)', '* 7 FETCH (FLAGS (Later) MODSEQ)'],
    );
  });

  it('FETCH BODYSTRUCTURE/BODY/ENVELOPE from the cache give the bytes of the first (encoding) fetch', async () => {
    const first = (await d.command('FETCH 1:8 (UID ENVELOPE BODYSTRUCTURE BODY)')).lines;
    assert.equal(first.length, 8);
    assert.deepEqual((await d.command('FETCH 1:8 (UID ENVELOPE BODYSTRUCTURE BODY)')).lines, first);
    const bs = (await d.command('FETCH 1:8 (BODYSTRUCTURE)')).lines;
    assert.deepEqual((await d.command('FETCH 1:8 (BODYSTRUCTURE)')).lines, bs);
    // a sparse set reads rows instead of making lines in SQLite: the same texts
    assert.deepEqual((await d.command('FETCH 1,3,6:7 (BODYSTRUCTURE)')).lines, [bs[0], bs[2], bs[5], bs[6]]);
    assert.match(first[0]!, /"Quarterly report 100%"/);
  });

  it('SEARCH SUBJECT matches decoded, case-insensitively, in every Subject field and the prefix, for any length', async () => {
    assert.deepEqual((await d.command('SEARCH SUBJECT xylograph')).lines, ['* SEARCH 3 4 6 7']);
    assert.deepEqual((await d.command('UID SEARCH SUBJECT XYLOGRAPH')).lines, ['* SEARCH 3 4 6 7']);
    assert.deepEqual((await d.command('SEARCH HEADER SUBJECT "first ONE"')).lines, ['* SEARCH 3']);
    assert.deepEqual((await d.command('SEARCH CHARSET UTF-8 SUBJECT {7+}\r\ngr\u00fc\u00dfe')).lines, ['* SEARCH 2']);
    assert.deepEqual((await d.command('SEARCH CHARSET UTF-8 SUBJECT {8+}\r\nM\u00dcNCHEN')).lines, ['* SEARCH 2']);
    assert.deepEqual((await d.command('SEARCH SUBJECT ab')).lines, ['* SEARCH 8']);
    assert.deepEqual((await d.command('SEARCH SUBJECT "100%"')).lines, ['* SEARCH 1']);
    assert.deepEqual((await d.command('SEARCH SUBJECT ""')).lines, ['* SEARCH 1 2 3 4 6 7 8']);
    assert.deepEqual((await d.command('SEARCH NOT SUBJECT xylograph')).lines, ['* SEARCH 1 2 5 8']);
    assert.deepEqual((await d.command('SEARCH OR SUBJECT report SUBJECT plain')).lines, ['* SEARCH 1 7']);
    assert.deepEqual((await d.command('SEARCH SUBJECT xylograph SEEN')).lines, ['* SEARCH 3']);
    assert.deepEqual((await d.command('SEARCH SUBJECT nothing-like-this')).lines, ['* SEARCH']);
  });
});
