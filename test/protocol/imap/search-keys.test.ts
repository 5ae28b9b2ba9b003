// Issue 5 item 5: every SEARCH key of RFC 3501 §6.4.4 / RFC 9051 §6.4.4 on a crafted mailbox, matching
// decoded text (base64, quoted-printable, RFC 2047 words in several charsets) case-insensitively, with
// CHARSET UTF-8 and US-ASCII, sequence and UID sets, OR, NOT and nesting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, searchIds, startImapServer, USER } from './fixtures.js';

const M1 = Buffer.from(
  'From: Ann <ann@a.example>\r\nTo: bob@b.example\r\nCc: carol@c.example\r\nBcc: dave@d.example\r\n' +
    'Subject: Alpha report\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <m1@x>\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
    Buffer.from('Secret Ingredient: Paprika\r\n').toString('base64') + '\r\n',
);
const M2 = Buffer.from(
  'From: =?utf-8?B?w4lsb2TDrWU=?= <elodie@e.example>\r\nTo: ann@a.example\r\nSubject: =?iso-8859-1?Q?Gr=FC=DFe?= aus Wien\r\n' +
    'Date: Mon, 15 Jan 2024 23:30:00 -0500\r\nMessage-ID: <m2@x>\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nna=C3=AFve caf=C3=A9 =\r\nsoft break\r\n',
);
const M3 = Buffer.from(
  'From: bob@b.example\r\nTo: ann@a.example\r\nSubject: Re: Alpha report\r\nDate: Thu, 1 Feb 2024 09:00:00 +0000\r\n' +
    'Message-ID: <m3@x>\r\nX-Priority: 1\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n' +
    '--z\r\nContent-Type: text/plain\r\n\r\nzebra crossing\r\n--z\r\nContent-Type: text/plain; name=notes.txt\r\n' +
    'Content-Transfer-Encoding: base64\r\n\r\n' + Buffer.from('Hidden Treasure').toString('base64') + '\r\n--z--\r\n',
);

describe('IMAP SEARCH keys (RFC 9051 §6.4.4)', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  const search = async (q: string): Promise<string> => (await searchIds(c, `SEARCH ${q}`)).ids;
  before(async () => {
    srv = await startImapServer();
    await deliver(srv.store, USER, M1, { flags: ['\\Answered', '\\Seen', '$Work'], date: new Date('2024-01-05T12:00:00Z') });
    await deliver(srv.store, USER, M2, { flags: ['\\Flagged', '\\Draft'], date: new Date('2024-01-20T12:00:00Z') });
    await deliver(srv.store, USER, M3, { flags: ['\\Deleted'], date: new Date('2024-02-10T12:00:00Z') });
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  it('flag keys and their negations', async () => {
    const cases: Array<[string, string]> = [
      ['ALL', '1 2 3'], ['ANSWERED', '1'], ['UNANSWERED', '2 3'], ['DELETED', '3'], ['UNDELETED', '1 2'],
      ['DRAFT', '2'], ['UNDRAFT', '1 3'], ['FLAGGED', '2'], ['UNFLAGGED', '1 3'], ['SEEN', '1'], ['UNSEEN', '2 3'],
      ['KEYWORD $Work', '1'], ['KEYWORD $work', '1'], ['UNKEYWORD $Work', '2 3'], ['KEYWORD $Nothing', ''],
    ];
    for (const [q, want] of cases) assert.equal(await search(q), want, q);
    // RECENT, NEW (RECENT UNSEEN) and OLD (NOT RECENT) partition consistently.
    const recent = (await search('RECENT')).split(' ').filter(Boolean);
    const old = (await search('OLD')).split(' ').filter(Boolean);
    assert.deepEqual([...recent, ...old].sort(), ['1', '2', '3']);
    assert.equal(await search('NEW'), recent.filter((s) => s !== '1').join(' '));
  });

  it('internal-date and sent-date keys (the Date header\'s own day, RFC 9051 §6.4.4)', async () => {
    const cases: Array<[string, string]> = [
      ['BEFORE 6-Jan-2024', '1'], ['BEFORE 5-Jan-2024', ''], ['ON 20-Jan-2024', '2'], ['SINCE 20-Jan-2024', '2 3'],
      ['SENTBEFORE 15-Jan-2024', '1'], ['SENTON 15-Jan-2024', '2'], ['SENTON 16-Jan-2024', ''], ['SENTSINCE 15-Jan-2024', '2 3'],
      ['SENTSINCE 2-Feb-2024', ''],
    ];
    for (const [q, want] of cases) assert.equal(await search(q), want, q);
  });

  it('address and subject keys on decoded words, case-insensitively', async () => {
    const cases: Array<[string, string]> = [
      ['FROM ann', '1'], ['FROM "ANN@A.EXAMPLE"', '1'], ['TO ann@a', '2 3'], ['CC carol', '1'], ['BCC dave', '1'], ['CC nobody', ''],
      ['SUBJECT "alpha REPORT"', '1 3'], ['SUBJECT re:', '3'], ['HEADER X-Priority 1', '3'], ['HEADER x-priority ""', '3'],
      ['HEADER Message-ID <m2@x>', '2'],
    ];
    for (const [q, want] of cases) assert.equal(await search(q), want, q);
    assert.equal(await search('CHARSET UTF-8 FROM {7+}\r\nélodí'), '2', 'RFC 2047 B-encoded UTF-8 name');
    assert.equal(await search('CHARSET UTF-8 SUBJECT {7+}\r\nGRÜßE'), '2', 'RFC 2047 Q-encoded ISO-8859-1 subject');
    assert.equal(await search('CHARSET US-ASCII SUBJECT alpha'), '1 3');
  });

  it('BODY and TEXT on decoded content (base64, quoted-printable, soft breaks, nested parts)', async () => {
    const cases: Array<[string, string]> = [
      ['BODY paprika', '1'], ['BODY "INGREDIENT: pap"', '1'], ['BODY zebra', '3'], ['BODY treasure', '3'],
      ['BODY ann', ''], ['TEXT ann', '1 2 3'], ['TEXT zebra', '3'], ['BODY "café soft"', '2'], ['BODY "soft break"', '2'],
    ];
    for (const [q, want] of cases) assert.equal(await search(q.includes('é') ? `CHARSET UTF-8 ${q}` : q), want, q);
    assert.equal(await search('CHARSET UTF-8 BODY {6+}\r\nNAÏVE'), '2');
    assert.equal(await search('CHARSET UTF-8 BODY {7+}\r\ncafé s'), '2', 'a QP soft line break joins the lines');
  });

  it('sizes, sequence sets, UID sets, OR, NOT and nesting', async () => {
    const sizes = (await c.command('FETCH 1:* RFC822.SIZE')).lines.map((l) => Number(/RFC822\.SIZE (\d+)/.exec(l)![1]));
    const [s1] = sizes as [number];
    assert.equal(await search(`LARGER ${s1}`), sizes.map((s, i) => (s > s1 ? String(i + 1) : '')).filter(Boolean).join(' '));
    assert.equal(await search(`SMALLER ${s1}`), sizes.map((s, i) => (s < s1 ? String(i + 1) : '')).filter(Boolean).join(' '));
    const cases: Array<[string, string]> = [
      ['1,3', '1 3'], ['2:*', '2 3'], ['*', '3'], ['UID 2:4294967295', '2 3'], ['UID 1,3', '1 3'], ['NOT 2', '1 3'],
      ['OR DRAFT ANSWERED', '1 2'], ['OR OR SEEN DRAFT DELETED', '1 2 3'], ['NOT NOT SEEN', '1'],
      ['(OR DRAFT (ANSWERED KEYWORD $Work)) NOT DELETED', '1 2'], ['((((SEEN))))', '1'],
      ['OR (FROM ann SUBJECT alpha) (TO ann NOT SUBJECT alpha)', '1 2'], ['SEEN UNSEEN', ''],
    ];
    for (const [q, want] of cases) assert.equal(await search(q), want, q);
  });
});
