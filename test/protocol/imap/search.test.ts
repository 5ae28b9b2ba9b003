import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, startImapServer, USER } from './fixtures.js';

function msg(opts: { subject: string; from?: string; date?: string; body?: string; extra?: string }): Buffer {
  return Buffer.from(
    `From: ${opts.from ?? 'Alice <alice@example.org>'}\r\nTo: bob@example.org\r\nSubject: ${opts.subject}\r\n` +
      `Date: ${opts.date ?? 'Mon, 7 Feb 1994 21:52:25 -0800'}\r\nMessage-ID: <${opts.subject.replace(/\W/g, '')}@x>\r\n${opts.extra ?? ''}\r\n${opts.body ?? 'nothing'}\r\n`,
  );
}

describe('IMAP SEARCH / SORT / THREAD', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    // 1
    await deliver(srv.store, USER, msg({ subject: 'Quarterly report', body: 'The numbers are in' }), { flags: ['\\Seen'], date: new Date('2024-01-10T12:00:00Z') });
    // 2: quoted-printable body, encoded-word subject
    await deliver(
      srv.store,
      USER,
      msg({ subject: '=?utf-8?q?Caf=C3=A9_menu?=', from: 'Zed <zed@example.net>', date: 'Tue, 8 Feb 1994 10:00:00 +0000', body: 'Cr=C3=A8me br=C3=BBl=C3=A9e tonight', extra: 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n' }),
      { flags: ['\\Flagged'], date: new Date('2024-02-10T12:00:00Z') },
    );
    // 3: reply to 1
    await deliver(srv.store, USER, msg({ subject: 'Re: Quarterly report', from: 'Bob <bob@example.org>', date: 'Wed, 9 Feb 1994 10:00:00 +0000', body: 'thanks', extra: 'In-Reply-To: <Quarterlyreport@x>\r\nReferences: <Quarterlyreport@x>\r\n' }), { date: new Date('2024-03-10T12:00:00Z') });
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  it('flags, NOT, OR, sizes, sets', async () => {
    assert.deepEqual((await c.command('SEARCH SEEN')).lines, ['* SEARCH 1']);
    assert.deepEqual((await c.command('SEARCH UNSEEN')).lines, ['* SEARCH 2 3']);
    assert.deepEqual((await c.command('SEARCH OR FLAGGED SEEN')).lines, ['* SEARCH 1 2']);
    assert.deepEqual((await c.command('SEARCH NOT (FLAGGED) 2:*')).lines, ['* SEARCH 3']);
    assert.deepEqual((await c.command('UID SEARCH UID 2:3 LARGER 1')).lines, ['* SEARCH 2 3']);
    assert.deepEqual((await c.command('SEARCH SMALLER 1')).lines, ['* SEARCH']);
    assert.deepEqual((await c.command('SEARCH ALL NEW')).lines, ['* SEARCH 2 3']); // RFC 3501: NEW = RECENT UNSEEN; this SELECT claimed all
  });

  it('dates: internal (BEFORE/ON/SINCE) and sent (SENTON/SENTSINCE)', async () => {
    assert.deepEqual((await c.command('SEARCH SINCE 1-Feb-2024')).lines, ['* SEARCH 2 3']);
    assert.deepEqual((await c.command('SEARCH BEFORE 10-Feb-2024')).lines, ['* SEARCH 1']);
    assert.deepEqual((await c.command('SEARCH ON 10-Feb-2024')).lines, ['* SEARCH 2']);
    assert.deepEqual((await c.command('SEARCH SENTON 7-Feb-1994')).lines, ['* SEARCH 1']);
    assert.deepEqual((await c.command('SEARCH SENTSINCE 8-Feb-1994')).lines, ['* SEARCH 2 3']);
  });

  it('headers match decoded text case-insensitively', async () => {
    assert.deepEqual((await c.command('SEARCH CHARSET UTF-8 SUBJECT {5+}\r\ncafé')).lines, ['* SEARCH 2']);
    assert.deepEqual((await c.command('SEARCH FROM ZED')).lines, ['* SEARCH 2']);
    assert.deepEqual((await c.command('SEARCH HEADER In-Reply-To ""')).lines, ['* SEARCH 3']);
    assert.match((await c.command('SEARCH CHARSET KOI8-R SUBJECT x')).tagged, /NO \[BADCHARSET/);
  });

  it('header keys narrowed by the index still match exactly: field, prefix, OR and AND', async () => {
    // "numbers" is in message 1's body, not in any header: the index makes it a candidate, the check drops it.
    assert.deepEqual((await c.command('SEARCH SUBJECT numbers')).lines, ['* SEARCH']);
    assert.deepEqual((await c.command('SEARCH SUBJECT QUARTERLY')).lines, ['* SEARCH 1 3']);
    // The per-recipient prefix (Return-Path) is not in the indexed header text but is searched.
    assert.deepEqual((await c.command('SEARCH HEADER Return-Path sender@example')).lines, ['* SEARCH 1 2 3']);
    assert.deepEqual((await c.command('SEARCH OR SUBJECT menu FROM bob@')).lines, ['* SEARCH 2 3']);
    assert.deepEqual((await c.command('SEARCH SUBJECT report NOT FROM bob')).lines, ['* SEARCH 1']);
    assert.deepEqual((await c.command('SEARCH SUBJECT report BODY thanks')).lines, ['* SEARCH 3']);
    assert.deepEqual((await c.command('SEARCH NOT SUBJECT report')).lines, ['* SEARCH 2']);
  });

  it('BODY and TEXT use the index, then confirm on decoded text', async () => {
    assert.deepEqual((await c.command('SEARCH BODY "numbers ARE"')).lines, ['* SEARCH 1']);
    assert.deepEqual((await c.command('SEARCH CHARSET UTF-8 BODY {6+}\r\ncrème')).lines, ['* SEARCH 2']);
    assert.deepEqual((await c.command('SEARCH TEXT "zed@example"')).lines, ['* SEARCH 2']);
    assert.deepEqual((await c.command('SEARCH BODY "zed@example"')).lines, ['* SEARCH']);
  });

  it('ESEARCH RETURN and SEARCHRES $', async () => {
    const r = await c.command('UID SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN');
    assert.deepEqual(r.lines, ['* ESEARCH (TAG "A' + (r.tagged.split(' ')[0]!.slice(1)) + '") UID MIN 2 MAX 3 COUNT 2 ALL 2:3']);
    const s = await c.command('SEARCH RETURN (SAVE) FLAGGED');
    assert.deepEqual(s.lines, []);
    assert.deepEqual((await c.command('FETCH $ UID')).lines, ['* 2 FETCH (UID 2)']);
    const e = await c.command('SEARCH RETURN () SMALLER 1');
    assert.match(e.lines[0]!, /^\* ESEARCH \(TAG "A\d+"\)$/);
  });

  it('MODSEQ search returns the highest mod-sequence', async () => {
    const r = await c.command('SEARCH MODSEQ 1');
    assert.match(r.lines[0]!, /^\* SEARCH 1 2 3 \(MODSEQ \d+\)$/);
  });

  it('SORT by subject, reverse date, from', async () => {
    assert.deepEqual((await c.command('SORT (SUBJECT) UTF-8 ALL')).lines, ['* SORT 2 1 3']);
    assert.deepEqual((await c.command('SORT (REVERSE DATE) UTF-8 ALL')).lines, ['* SORT 3 2 1']);
    assert.deepEqual((await c.command('UID SORT (FROM) UTF-8 ALL')).lines, ['* SORT 1 3 2']);
  });

  it('THREAD ORDEREDSUBJECT and REFERENCES', async () => {
    assert.deepEqual((await c.command('THREAD ORDEREDSUBJECT UTF-8 ALL')).lines, ['* THREAD (1 3)(2)']);
    assert.deepEqual((await c.command('THREAD REFERENCES UTF-8 ALL')).lines, ['* THREAD (1 3)(2)']);
  });
});
