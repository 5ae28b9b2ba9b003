// Issue 5 "Bad input": malformed commands, unbalanced parentheses and quotes, out-of-range and odd sequence
// sets, unknown charsets, unusable mailbox names and broken MIME messages get BAD/NO with a useful text;
// the session stays usable and the server never answers NO [SERVERBUG].
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

/** True when the text holds a C0 control character (NUL included). */
const hasControl = (s: string): boolean => [...s].some((ch) => ch.charCodeAt(0) < 0x20);

describe('IMAP bad input', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    await deliver(srv.store, USER, rawMessage('one'));
    await deliver(srv.store, USER, rawMessage('two'));
    c = await loggedIn(srv);
    assert.match((await c.command('SELECT INBOX')).tagged, /OK/);
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  async function expect(cmd: string, tagged: RegExp, lines?: string[]): Promise<void> {
    const r = await c.command(cmd);
    assert.match(r.tagged, tagged, cmd);
    if (lines) assert.deepEqual(r.lines, lines, cmd);
    assert.match((await c.command('NOOP')).tagged, /OK/, `usable after ${cmd}`);
  }

  it('sequence numbers beyond 2^32-1 or 0 are BAD; *:* is the last message', async () => {
    await expect('FETCH 1:4294967296 (UID)', /^A\d+ BAD .*4294967296/);
    await expect('UID FETCH 1:4294967296 (UID)', /^A\d+ BAD .*4294967296/);
    await expect('UID STORE 4294967296 +FLAGS (\\Seen)', /^A\d+ BAD/);
    await expect('FETCH 0 (UID)', /^A\d+ BAD/);
    await expect('FETCH 1,,2 (UID)', /^A\d+ BAD .*sequence set/i);
    await expect('FETCH 3 (UID)', /^A\d+ BAD .*beyond/);
    await expect('FETCH *:* (UID)', /^A\d+ OK/, ['* 2 FETCH (UID 2)']);
    await expect('UID FETCH *:* (UID)', /^A\d+ OK/, ['* 2 FETCH (UID 2)']);
    // RFC 9051 §6.4.8: a UID range beyond the mailbox is not an error, it matches nothing (or the last).
    await expect('UID FETCH 4294967295 (UID)', /^A\d+ OK/, []);
    await expect('SEARCH 1:4294967296', /^A\d+ BAD/);
  });

  it('unbalanced parentheses and quotes, junk and missing arguments are BAD', async () => {
    await expect('FETCH 1 (FLAGS', /^A\d+ BAD .*\)/);
    await expect('FETCH 1 (FLAGS))', /^A\d+ BAD/);
    await expect('SELECT "INBOX', /^A\d+ BAD .*quoted/i);
    await expect('SEARCH (SUBJECT x', /^A\d+ BAD/);
    await expect('SEARCH SUBJECT "x', /^A\d+ BAD/);
    await expect('SEARCH OR OR', /^A\d+ BAD/);
    await expect('SEARCH FROBNICATE', /^A\d+ BAD/);
    await expect('STORE 1 FLAGZ (\\Seen)', /^A\d+ BAD/);
    await expect('FETCH 1 BODY[1.', /^A\d+ BAD/);
    await expect('FETCH 1 BODY[]<5.x>', /^A\d+ BAD/);
    c.write('* NOOP\r\n');
    assert.match(await c.readResponse(), /^\* BAD|^\S+ BAD/);
    assert.match((await c.command('NOOP')).tagged, /OK/);
  });

  it('an unknown charset is NO [BADCHARSET] listing the supported ones', async () => {
    await expect('SEARCH CHARSET KOI8-R TEXT x', /^A\d+ NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
    await expect('SORT (DATE) X-UNKNOWN ALL', /^A\d+ NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
    await expect('THREAD REFERENCES ISO-2022-JP ALL', /^A\d+ NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/);
    await expect('SEARCH CHARSET us-ascii SUBJECT one', /^A\d+ OK/, ['* SEARCH 1']);
    await expect('SEARCH CHARSET UTF-8 SUBJECT two', /^A\d+ OK/, ['* SEARCH 2']);
  });

  it('mailbox names with .. levels, wildcards or control characters are refused with a reason', async () => {
    await expect('CREATE "a/../b"', /^A\d+ (BAD|NO) .*"\.\."/);
    await expect('CREATE ".."', /^A\d+ (BAD|NO) .*"\.\."/);
    await expect('CREATE "foo%bar"', /^A\d+ (BAD|NO) .*%/);
    await expect('CREATE "foo*"', /^A\d+ (BAD|NO) .*\*/);
    await expect('RENAME INBOX "x%"', /^A\d+ (BAD|NO) .*%/);
    await expect('CREATE "a//b"', /^A\d+ (BAD|NO) .*[Ee]mpty/);
    await expect('SELECT "../INBOX"', /^A\d+ (BAD|NO)/);
    await expect('SELECT INBOX', /^A\d+ OK/);
    // A control character can only come in a literal; the reply names the problem without echoing it raw.
    c.write('Z1 CREATE {3+}\r\na\x01b\r\n');
    const r = await c.until('Z1');
    assert.match(r.tagged, /^Z1 (BAD|NO) .*control/i);
    assert.ok(!hasControl(r.tagged), r.tagged);
    c.write('Z2 CREATE {4+}\r\na\r\nb\r\n');
    const r2 = await c.until('Z2');
    assert.match(r2.tagged, /^Z2 (BAD|NO)/);
    assert.equal(r2.lines.length, 0);
    const list = await c.command('LIST "" *');
    assert.ok(list.lines.every((l) => !hasControl(l) && !l.includes('..') && !l.includes('%')), list.lines.join('\n'));
  });
});

/** RFC 5322 messages whose MIME is broken in the ways the issue lists. */
const BROKEN: Record<string, string> = {
  'no closing boundary':
    'From: x@example.org\r\nSubject: no closing boundary\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XYZ"\r\n\r\n' +
    '--XYZ\r\nContent-Type: text/plain\r\n\r\npart one findme\r\n--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64***\r\n',
  'wrong encodings':
    'From: x@example.org\r\nSubject: wrong encodings\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n' +
    '--b1\r\nContent-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nbad =ZZ escape =\r\nand =E9\r\n' +
    '--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: x-bogus\r\n\r\n<p>hi</p>\r\n--b1--\r\n',
  'multipart without boundary':
    'From: x@example.org\r\nSubject: no boundary\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--\r\nbody\r\n',
  'truncated nested message':
    'From: x@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n' +
    'Subject: inner\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n',
};

describe('IMAP broken MIME messages appended and fetched', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    c = await loggedIn(srv);
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  async function append(raw: Buffer): Promise<string> {
    const tag = c.nextTag();
    c.write(Buffer.concat([Buffer.from(`${tag} APPEND INBOX {${raw.length}+}\r\n`), raw, Buffer.from('\r\n')]));
    return (await c.until(tag)).tagged;
  }

  it('appends every broken message, 8-bit header garbage included', async () => {
    for (const [name, text] of Object.entries(BROKEN)) assert.match(await append(Buffer.from(text, 'latin1')), /OK \[APPENDUID/, name);
    const garbage = Buffer.concat([
      Buffer.from('From: "'),
      Buffer.from([0xe9, 0x74, 0xe9, 0xff]),
      Buffer.from('" <x@example.org>\r\nSubject: 8bit '),
      Buffer.from([0xff, 0xfe, 0x80, 0x1b]),
      Buffer.from(' =?utf-8?B?####?= =?x-unknown?Q?abc?=\r\nDate: not a date\r\nMessage-ID: <<>>\r\nReferences: <a@b> junk <\r\n\r\nbody\r\n'),
    ]);
    assert.match(await append(garbage), /OK \[APPENDUID/);
    // RFC 9051 §4.3: NUL is not allowed in a literal: BAD, then the same bytes as literal8 (RFC 3516) are fine.
    const nul = Buffer.from('Subject: nul\r\n\r\nbody \0 here\r\n', 'latin1');
    assert.match(await append(nul), /BAD .*NUL/);
    const tag = c.nextTag();
    c.write(Buffer.concat([Buffer.from(`${tag} APPEND INBOX ~{${nul.length}+}\r\n`), nul, Buffer.from('\r\n')]));
    assert.match((await c.until(tag)).tagged, /OK \[APPENDUID/);
  });

  it('answers FETCH of every view on them without a server error', async () => {
    assert.match((await c.command('SELECT INBOX')).tagged, /OK/);
    const items = [
      'ENVELOPE',
      'BODYSTRUCTURE',
      'BODY',
      'BODY.PEEK[]',
      'BODY.PEEK[HEADER]',
      'BODY.PEEK[TEXT]',
      'BODY.PEEK[1]',
      'BODY.PEEK[1.MIME]',
      'BODY.PEEK[2]',
      'BODY.PEEK[1.1]',
      'BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]',
      'BODY.PEEK[]<3.10>',
      'BINARY.PEEK[1]',
      'BINARY.SIZE[1]',
      'BINARY.PEEK[2]',
      'RFC822.SIZE',
    ];
    for (const item of items) {
      const r = await c.command(`FETCH 1:* (UID ${item})`);
      // RFC 3516 §4.2: a part the server cannot decode is NO [UNKNOWN-CTE]; everything else must be OK.
      assert.match(r.tagged, /^A\d+ (OK|NO \[UNKNOWN-CTE\])/, item);
      assert.doesNotMatch(r.tagged, /SERVERBUG/, item);
    }
    const bs = await c.command('FETCH 1 BODYSTRUCTURE');
    assert.match(bs.lines[0]!, /BODYSTRUCTURE \(\("TEXT" "PLAIN"/, 'the parts before the missing boundary are kept');
    const env = await c.command('FETCH 5 ENVELOPE');
    assert.match(env.lines.join('\n'), /ENVELOPE \(/);
    // 8-bit header bytes go out in a literal (RFC 9051 §4.3) before UTF8=ACCEPT; never a NUL.
    assert.match(env.lines.join('\n'), /ENVELOPE \("not a date" \{\d+\}\r\n8bit /);
    assert.ok(!env.lines.join('\n').includes('\0'));
  });

  it('SEARCH, SORT and THREAD run over them', async () => {
    assert.deepEqual((await c.command('SEARCH TEXT findme')).lines, ['* SEARCH 1']);
    assert.match((await c.command('SEARCH SUBJECT 8bit')).tagged, /OK/);
    assert.match((await c.command('SEARCH BODY escape')).tagged, /OK/);
    assert.match((await c.command('SORT (SUBJECT DATE FROM) UTF-8 ALL')).tagged, /OK/);
    assert.match((await c.command('THREAD REFERENCES UTF-8 ALL')).tagged, /OK/);
    assert.match((await c.command('THREAD ORDEREDSUBJECT UTF-8 ALL')).tagged, /OK/);
    assert.match((await c.command('NOOP')).tagged, /OK/);
  });
});
