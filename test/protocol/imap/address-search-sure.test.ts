/**
 * SEARCH FROM/TO/CC/BCC answered from the store's exact ("sure") matches on the decoded address fields gives the
 * answers of IMAP's exact check (RFC 9051 §6.4.4: decoded, case-insensitive, every such field of prefix + header),
 * also as HEADER keys, under NOT and OR, and with per-recipient prefixes: `Delivered-To` (not a To field), a real
 * `To:` line in the prefix, no final line feed. The expected answers are computed here with MessageFields (the
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
import { exactHeaderHits, loggedIn, searchIds, startImapServer, USER } from './fixtures.js';

const PLAIN = 'Return-Path: <sender@example.net>\r\nDelivered-To: bob@example.org\r\n';

const msg = (headers: string): Buffer => Buffer.from(`${headers}Subject: s\r\n\r\nbody\r\n`);

/** [raw, prefix, flags] per message, UIDs 1.. in order. */
const MESSAGES: Array<[Buffer, string, string[]]> = [
  [msg('From: Alice Example <alice@example.org>\r\nTo: bob@example.org\r\n'), PLAIN, []],
  [msg('From: =?utf-8?q?ALICE_M=C3=BCller?= <am@example.org>\r\nTo: Carol <carol@example.org>\r\nCc: bob@example.org\r\n'), PLAIN, ['\\Flagged']],
  [msg('From: dave@example.org\r\nTo: eve@example.org\r\nBcc: Bob Builder <bb@example.org>\r\n'), PLAIN, []],
  [msg('From: dave@example.org\r\nTo: first@example.org\r\nTo: bob@second.example\r\n'), PLAIN, []],
  // a real To field in the prefix: it counts for TO
  [msg('From: dave@example.org\r\nTo: eve@example.org\r\n'), PLAIN + 'To: bob@prefix.example\r\n', ['\\Flagged']],
  // without a final line feed the body's first line (From) continues the prefix's last field
  [msg('From: alice@glued.example\r\nTo: eve@example.org\r\n'), 'Return-Path: <sender@example.net>', []],
  [msg('From: frank@example.org\r\n'), '', []],
];

describe('IMAP SEARCH FROM/TO/CC/BCC from exact stored address fields', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  let rows: StoredMessage[];
  let mailboxId: number;
  const search = async (q: string): Promise<string> => (await searchIds(c, `SEARCH ${q}`)).ids;
  /** IMAP's exact test of `field` on every message (reads the blobs). */
  const hits = (field: string, needle: string): Promise<Set<number>> => exactHeaderHits(srv.store, rows, field, needle);
  const flagged = (uid: number): boolean => MESSAGES[uid - 1]![2].includes('\\Flagged');
  const list = (pred: (uid: number) => boolean): string => rows.map((m) => m.uid).filter(pred).join(' ');
  let expected: Array<[string, string]>;

  before(async () => {
    srv = await startImapServer();
    const s = srv.store;
    const account = (await s.getAccount(USER))!;
    for (const [raw, prefix, flags] of MESSAGES) {
      const structure = parseMessage(raw);
      const ref = await s.blobs.put(raw);
      await s.deliver({ blobId: ref.id, size: ref.size, structure, searchText: extractSearchText(raw, structure) }, [
        { accountId: account.id, mailbox: 'INBOX', flags, prefix },
      ]);
    }
    mailboxId = (await s.getMailbox(account.id, 'INBOX'))!.id;
    rows = await s.getMessages(mailboxId, MESSAGES.map((_, i) => i + 1));
    const fromAlice = await hits('from', 'alice');
    const toBob = await hits('to', 'bob');
    const ccBob = await hits('cc', 'bob');
    const bccBob = await hits('bcc', 'bob');
    const anyCc = await hits('cc', '');
    const muller = await hits('from', 'müller');
    expected = [
      ['FROM alice', list((u) => fromAlice.has(u))],
      ['HEADER FROM ALICE', list((u) => fromAlice.has(u))],
      ['TO bob', list((u) => toBob.has(u))],
      ['NOT TO bob', list((u) => !toBob.has(u))],
      ['OR TO bob FLAGGED', list((u) => toBob.has(u) || flagged(u))],
      ['CC bob', list((u) => ccBob.has(u))],
      ['BCC bob', list((u) => bccBob.has(u))],
      ['OR OR TO bob CC bob BCC bob', list((u) => toBob.has(u) || ccBob.has(u) || bccBob.has(u))],
      ['CC ""', list((u) => anyCc.has(u))],
      ['CHARSET UTF-8 FROM {7+}\r\nM\u00dcLLER', list((u) => muller.has(u))],
    ];
  });
  after(async () => {
    await c?.close();
    await srv.close();
  });

  it('answers what the exact check on every message answers', async () => {
    // Hand-checked: TO bob is 1 and 4 (the second To field) and 5 (the prefix's To); never by Delivered-To.
    assert.equal(expected.find(([q]) => q === 'TO bob')![1], '1 4 5');
    // FROM alice: 1, 2 (decoded, case-insensitive); not 6, whose From line continues the prefix's Return-Path.
    assert.equal(expected.find(([q]) => q === 'FROM alice')![1], '1 2');
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    for (const [q, want] of expected) assert.equal(await search(q), want, q);
  });

  it('answers the same without the blobs of the sure messages: the sure path reads none', async () => {
    const sure = new Set<number>();
    const maybe = new Set<number>();
    for (const [field, needle] of [['from', 'alice'], ['to', 'bob'], ['cc', 'bob'], ['bcc', 'bob'], ['cc', ''], ['from', 'müller']] as const) {
      const r = await srv.store.searchHeader(mailboxId, field, needle);
      for (const u of r.sure) sure.add(u);
      for (const u of r.maybe) maybe.add(u);
    }
    // The Delivered-To prefix does not make a message a maybe; the prefix with a To line and the glued one do.
    assert.ok(sure.has(1) && sure.has(2) && sure.has(4), [...sure].join(' '));
    assert.ok(maybe.has(5) && maybe.has(6), [...maybe].join(' '));
    const plainNoMatch = 7; // a plain message listed by none: sure not to match, so not read either
    for (const m of rows) if ((sure.has(m.uid) && !maybe.has(m.uid)) || m.uid === plainNoMatch) await rm(srv.store.blobs.pathOf(m.blobId));
    c ??= await loggedIn(srv);
    await c.command('SELECT INBOX');
    for (const [q, want] of expected) assert.equal(await search(q), want, q);
  });
});
