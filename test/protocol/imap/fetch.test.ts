import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

const MULTIPART = Buffer.from(
  'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: parts\r\nMIME-Version: 1.0\r\n' +
    'Content-Type: multipart/mixed; boundary="XX"\r\n\r\npreamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain body\r\n' +
    '--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n' +
    '--XX\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: x@example.org\r\n\r\ninner text\r\n--XX--\r\n',
);

describe('IMAP FETCH', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    await deliver(srv.store, USER, rawMessage('simple', 'Hello world'), { date: new Date('2024-03-01T10:00:00Z') });
    await deliver(srv.store, USER, MULTIPART);
    // An earlier session claims \\Recent (RFC 3501 §2.3.2; shown in recent-and-shared-view.test.ts), so the
    // flags below are the stored ones only.
    const first = await loggedIn(srv);
    await first.command('SELECT INBOX');
    await first.close();
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  it('FLAGS, UID, INTERNALDATE, RFC822.SIZE', async () => {
    const r = await c.command('FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)');
    const size = 'Return-Path: <sender@example.net>\r\n'.length + rawMessage('simple', 'Hello world').length;
    assert.deepEqual(r.lines, [`* 1 FETCH (FLAGS () UID 1 INTERNALDATE "01-Mar-2024 10:00:00 +0000" RFC822.SIZE ${size})`]);
  });

  it('ENVELOPE and BODYSTRUCTURE from the cached parse', async () => {
    const r = await c.command('FETCH 1 (ENVELOPE BODYSTRUCTURE)');
    assert.equal(
      r.lines[0],
      '* 1 FETCH (ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "simple" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Bob" NIL "bob" "example.org")) NIL NIL NIL "<simple@example.org>") ' +
        'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL))',
    );
    const m = await c.command('FETCH 2 BODY');
    assert.match(m.lines[0]!, /^\* 2 FETCH \(BODY \(\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "7BIT" 10 1\)\("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 8\)\("MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(NIL "inner"/);
  });

  it('BODY.PEEK[] serves prefix + body and does not set \\Seen', async () => {
    const r = await c.command('FETCH 1 BODY.PEEK[]');
    assert.match(r.lines[0]!, /^\* 1 FETCH \(BODY\[\] \{\d+\}\r\nReturn-Path: <sender@example.net>\r\nFrom: Alice/);
    assert.deepEqual((await c.command('FETCH 1 FLAGS')).lines, ['* 1 FETCH (FLAGS ())']);
  });

  it('sections: HEADER.FIELDS, TEXT, part numbers, MIME, nested message, partial', async () => {
    const h = await c.command('FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]');
    assert.equal(h.lines[0], '* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {19}\r\nSubject: simple\r\n\r\n)');
    const t = await c.command('FETCH 1 BODY.PEEK[TEXT]');
    assert.equal(t.lines[0], '* 1 FETCH (BODY[TEXT] {13}\r\nHello world\r\n)');
    const p = await c.command('FETCH 2 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT] BODY.PEEK[9])');
    assert.equal(
      p.lines[0],
      '* 2 FETCH (BODY[1] {10}\r\nplain body BODY[1.MIME] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n ' +
        'BODY[3.HEADER] {39}\r\nSubject: inner\r\nFrom: x@example.org\r\n\r\n BODY[3.TEXT] {10}\r\ninner text BODY[9] NIL)',
    );
    const part = await c.command('FETCH 1 BODY.PEEK[TEXT]<6.100>');
    assert.equal(part.lines[0], '* 1 FETCH (BODY[TEXT]<6> {7}\r\nworld\r\n)');
  });

  it('BINARY decodes the transfer encoding; BINARY.SIZE', async () => {
    const r = await c.command('FETCH 2 (BINARY.PEEK[2] BINARY.SIZE[2])');
    assert.equal(r.lines[0], '* 2 FETCH (BINARY[2] ~{4}\r\n\x00\x01\x02\x03 BINARY.SIZE[2] 4)');
  });

  it('a non-PEEK body fetch sets \\Seen and reports FLAGS', async () => {
    const r = await c.command('FETCH 1 BODY[TEXT]');
    assert.match(r.lines[0]!, /FLAGS \(\\Seen\)\)$/);
    assert.deepEqual((await c.command('FETCH 1 FLAGS')).lines, ['* 1 FETCH (FLAGS (\\Seen))']);
  });

  it('UID FETCH adds UID; ranges with * ; bad sequence numbers are BAD', async () => {
    const r = await c.command('UID FETCH 1:* FLAGS');
    assert.deepEqual(r.lines, ['* 1 FETCH (UID 1 FLAGS (\\Seen))', '* 2 FETCH (UID 2 FLAGS ())']);
    assert.deepEqual((await c.command('UID FETCH 5:* FLAGS')).lines, ['* 2 FETCH (UID 2 FLAGS ())'], 'n:* includes the last UID');
    assert.match((await c.command('FETCH 3 FLAGS')).tagged, /BAD/);
    assert.match((await c.command('FETCH 1:4294967296 FLAGS')).tagged, /BAD/);
    assert.match((await c.command('FETCH *:* FLAGS')).tagged, /OK/);
  });

  it('CONDSTORE: MODSEQ and CHANGEDSINCE', async () => {
    const all = await c.command('FETCH 1:* (MODSEQ)');
    const mods = all.lines.map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
    const r = await c.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${Math.min(...mods)})`);
    assert.equal(r.lines.length, 1);
    assert.match(r.lines[0]!, /MODSEQ \(\d+\)/);
  });
});
