import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { loggedIn, rawMessage, startImapServer } from './fixtures.js';

describe('IMAP APPEND', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer({ users: [{ address: 'alice@example.org', password: 'correct horse battery', quotaBytes: 2000 }] });
  });
  after(async () => srv.close());

  it('appends with a synchronising literal, flags and date; APPENDUID', async () => {
    const c = await loggedIn(srv);
    const msg = rawMessage('appended');
    c.write(`A1 APPEND Drafts (\\Draft \\Seen) "05-Jan-2023 10:11:12 +0100" {${msg.length}}\r\n`);
    assert.match(await c.readResponse(), /^\+ /);
    c.write(Buffer.concat([msg, Buffer.from('\r\n')]));
    const r = await c.until('A1');
    assert.match(r.tagged, /^A1 OK \[APPENDUID \d+ 1\]/);
    await c.command('SELECT Drafts');
    const f = await c.command('FETCH 1 (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    assert.equal(f.lines[0], '* 1 FETCH (FLAGS (\\Seen \\Draft \\Recent) INTERNALDATE "05-Jan-2023 09:11:12 +0000" BODY[HEADER.FIELDS (SUBJECT)] {21}\r\nSubject: appended\r\n\r\n)');
    await c.close();
  });

  it('MULTIAPPEND with LITERAL+ into the selected mailbox sends EXISTS', async () => {
    const c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    const a = rawMessage('m1');
    const b = rawMessage('m2');
    c.write(`A9 APPEND INBOX {${a.length}+}\r\n${a} (\\Flagged) {${b.length}+}\r\n${b}\r\n`);
    const r = await c.until('A9');
    assert.deepEqual(r.lines, ['* 2 EXISTS', '* 2 RECENT']); // RFC 3501 §7.3.2
    assert.match(r.tagged, /^A9 OK \[APPENDUID \d+ 1,2\]/);
    await c.close();
  });

  it('refuses a missing mailbox with TRYCREATE and over-quota with OVERQUOTA', async () => {
    const c = await loggedIn(srv);
    const m = rawMessage('x');
    c.write(`B1 APPEND Nope {${m.length}+}\r\n${m}\r\n`);
    assert.match((await c.until('B1')).tagged, /NO \[TRYCREATE\]/);
    const big = rawMessage('big', 'x'.repeat(3000));
    c.write(`B2 APPEND INBOX {${big.length}+}\r\n${big}\r\n`);
    assert.match((await c.until('B2')).tagged, /NO \[OVERQUOTA\]/);
    await c.close();
  });
});
