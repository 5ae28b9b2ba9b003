import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, startImapServer, USER } from './fixtures.js';

function msg(subject: string, date: string | null, extra = '', body = 'text'): Buffer {
  return Buffer.from(
    `From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: ${subject}\r\n${date ? `Date: ${date}\r\n` : ''}` +
      `Message-ID: <${subject.replace(/\W/g, '')}@x>\r\n${extra}\r\n${body}\r\n`,
    'utf8',
  );
}

const MIXED =
  'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n';
const MIXED_BODY =
  '--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhi\r\n' +
  "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n" +
  'Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n';

describe('IMAP SORT from stored keys, FETCH from cached texts', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    // 1: sent 8 Feb 1994
    await deliver(srv.store, USER, msg('Beta', 'Tue, 8 Feb 1994 10:00:00 +0000'), { date: new Date('2024-01-01T00:00:00Z') });
    // 2: no Date header: SORT DATE uses the internal date (1990)
    await deliver(srv.store, USER, msg('Alpha', null), { date: new Date('1990-01-01T00:00:00Z') });
    // 3: same sent date as 1 (tie: sequence order); 8-bit subject; an attachment with an RFC 2231 UTF-8 name
    await deliver(srv.store, USER, msg('Caf\u00e9 "menu"', 'Tue, 8 Feb 1994 10:00:00 +0000', MIXED, MIXED_BODY), { date: new Date('2023-01-01T00:00:00Z') });
    // 4: unparsable Date: the internal date
    await deliver(srv.store, USER, msg('Re: Delta', 'someday'), { date: new Date('2025-01-01T00:00:00Z') });
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  it('SORT by date falls back to the internal date, keeps ties in sequence order, honours REVERSE', async () => {
    assert.deepEqual((await c.command('SORT (DATE) UTF-8 ALL')).lines, ['* SORT 2 1 3 4']);
    assert.deepEqual((await c.command('UID SORT (REVERSE DATE) UTF-8 ALL')).lines, ['* SORT 4 1 3 2']);
    assert.deepEqual((await c.command('SORT (ARRIVAL) UTF-8 ALL')).lines, ['* SORT 2 3 1 4']);
    assert.deepEqual((await c.command('SORT (DATE REVERSE SIZE) UTF-8 ALL')).lines, ['* SORT 2 3 1 4']);
    // the same keys through a search (not the whole-mailbox path) and string keys
    assert.deepEqual((await c.command('SORT (DATE) UTF-8 NOT SUBJECT zzz')).lines, ['* SORT 2 1 3 4']);
    assert.deepEqual((await c.command('SORT (SUBJECT) UTF-8 ALL')).lines, ['* SORT 2 1 3 4']);
    assert.deepEqual((await c.command('SORT (DATE) UTF-8 2:3')).lines, ['* SORT 2 3']);
    assert.deepEqual((await c.command('SORT (DATE) UTF-8 SUBJECT nothing-like-this')).lines, ['* SORT']);
  });

  it('FETCH ENVELOPE/BODYSTRUCTURE/BODY answer the same from the cache as computed, with and without UTF8=ACCEPT', async () => {
    const first = (await c.command('FETCH 1:4 (ENVELOPE BODYSTRUCTURE)')).lines;
    const again = (await c.command('FETCH 1:4 (ENVELOPE BODYSTRUCTURE)')).lines;
    assert.deepEqual(again, first);
    // A fetch that also needs the bytes takes the general path: the same texts.
    const general = (await c.command('FETCH 3 (ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (X-NONE)])')).lines.join('\n');
    assert.ok(general.startsWith(first.find((l) => l.startsWith('* 3 FETCH'))!.slice(0, -1)), general);
    const plain3 = first.find((l) => l.startsWith('* 3 FETCH'))!;
    assert.match(plain3, /\{12\}\r\nCaf/, '8-bit subject as a literal before UTF8=ACCEPT');
    const body = (await c.command('FETCH 1:4 (BODY)')).lines;
    assert.deepEqual((await c.command('FETCH 1:4 (BODY)')).lines, body);

    const u = await loggedIn(srv);
    try {
      await u.command('ENABLE UTF8=ACCEPT');
      await u.command('SELECT INBOX');
      const utf8 = (await u.command('FETCH 3 (ENVELOPE BODYSTRUCTURE)')).lines;
      assert.match(utf8[0]!, /"Caf\u00e9 \\"menu\\""/, 'quoted UTF-8 after UTF8=ACCEPT');
      assert.deepEqual((await u.command('FETCH 3 (ENVELOPE BODYSTRUCTURE)')).lines, utf8);
      // The plain session still gets its literal form.
      assert.deepEqual((await c.command('FETCH 3 (ENVELOPE BODYSTRUCTURE)')).lines, [plain3]);
      // Messages without 8-bit text are the same for both sessions.
      assert.deepEqual((await u.command('FETCH 1 (ENVELOPE BODYSTRUCTURE)')).lines, [first[0]!]);
    } finally {
      await u.close();
    }
  });

  it('FETCH from the cached texts sends the same bytes through COMPRESS=DEFLATE', async () => {
    const plain = (await c.command('FETCH 1:4 (BODYSTRUCTURE)')).lines;
    assert.equal((await c.command('FETCH 1:4 (BODYSTRUCTURE)')).lines.length, 4);
    const z = await loggedIn(srv);
    try {
      assert.match((await z.command('COMPRESS DEFLATE')).tagged, /OK/);
      z.startCompression();
      await z.command('SELECT INBOX');
      // The listing, its line end and the tagged reply leave as separate buffers through the deflate stream.
      assert.deepEqual((await z.command('FETCH 1:4 (BODYSTRUCTURE)')).lines, plain);
      assert.deepEqual((await z.command('UID FETCH 1:* (BODYSTRUCTURE)')).lines.length, 4);
    } finally {
      await z.close();
    }
  });
});
