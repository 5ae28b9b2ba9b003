import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

describe('IMAP \\Recent and the selected mailbox seen by two sessions', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
  });
  after(async () => srv.close());

  it('the first SELECT claims \\Recent; EXAMINE does not; STATUS counts unclaimed messages', async () => {
    await srv.store.createMailbox((await srv.store.getAccount(USER))!.id, 'Rec');
    await deliver(srv.store, USER, rawMessage('r1'), { mailbox: 'Rec' });
    await deliver(srv.store, USER, rawMessage('r2'), { mailbox: 'Rec' });
    const a = await loggedIn(srv);
    const b = await loggedIn(srv);
    assert.match((await a.command('STATUS Rec (MESSAGES RECENT)')).lines[0]!, /\(MESSAGES 2 RECENT 2\)/);
    const ex = await b.command('EXAMINE Rec');
    assert.ok(ex.lines.includes('* 2 RECENT'), 'EXAMINE shows but does not claim');
    const sel = await a.command('SELECT Rec');
    assert.ok(sel.lines.includes('* 2 RECENT'));
    assert.deepEqual((await a.command('SEARCH RECENT')).lines, ['* SEARCH 1 2']);
    assert.deepEqual((await a.command('SEARCH NEW')).lines, ['* SEARCH 1 2']);
    assert.deepEqual((await a.command('SEARCH OLD')).lines, ['* SEARCH']);
    // The flag itself, in every path that shows flags: FETCH FLAGS alone, FETCH with other items, STORE.
    assert.deepEqual((await a.command('FETCH 1:2 (FLAGS)')).lines, ['* 1 FETCH (FLAGS (\\Recent))', '* 2 FETCH (FLAGS (\\Recent))']);
    assert.match((await a.command('FETCH 1 (FLAGS RFC822.SIZE)')).lines[0]!, /FLAGS \(\\Recent\)/);
    assert.match((await a.command('FETCH 1 (FLAGS BODY.PEEK[HEADER])')).lines[0]!, /FLAGS \(\\Recent\)/);
    assert.deepEqual((await a.command('STORE 2 +FLAGS (\\Flagged)')).lines, ['* 2 FETCH (FLAGS (\\Flagged \\Recent))']);
    const sel2 = await b.command('SELECT Rec');
    assert.ok(sel2.lines.includes('* 0 RECENT'), 'already claimed by the other session');
    assert.deepEqual((await b.command('FETCH 1:2 (FLAGS)')).lines, ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS (\\Flagged))']);
    await a.command('STORE 2 -FLAGS (\\Flagged)');
    await b.command('NOOP');
    // A new message: \Recent in exactly one of the two selected sessions.
    await deliver(srv.store, USER, rawMessage('r3'), { mailbox: 'Rec' });
    const na = await a.command('NOOP');
    const nb = await b.command('NOOP');
    assert.ok(na.lines.includes('* 3 EXISTS') && nb.lines.includes('* 3 EXISTS'));
    const recents = [...na.lines, ...nb.lines].filter((l) => /^\* \d+ RECENT$/.test(l));
    assert.deepEqual(recents.sort(), ['* 0 RECENT', '* 3 RECENT']);
    assert.match((await a.command('STATUS Rec (RECENT)')).lines[0]!, /\(RECENT 0\)/);
    await a.close();
    await b.close();
  });

  it('DELETE by another session ends the selecting session with BYE, as Dovecot does', async () => {
    await srv.store.createMailbox((await srv.store.getAccount(USER))!.id, 'Gone');
    await deliver(srv.store, USER, rawMessage('g1'), { mailbox: 'Gone' });
    const a = await loggedIn(srv);
    const b = await loggedIn(srv);
    await a.command('SELECT Gone');
    a.write('I1 IDLE\r\n');
    assert.equal(await a.readResponse(), '+ idling');
    assert.match((await b.command('DELETE Gone')).tagged, /OK/);
    assert.equal(await a.readResponse(2000), '* BYE Selected mailbox was deleted, have to disconnect.');
    // The other session goes on.
    assert.match((await b.command('SELECT INBOX')).tagged, /OK/);
    await b.close();
    await a.close().catch(() => undefined);
  });

  it('RENAME by another session: the selecting session keeps working under the new name', async () => {
    await srv.store.createMailbox((await srv.store.getAccount(USER))!.id, 'Old');
    await deliver(srv.store, USER, rawMessage('o1'), { mailbox: 'Old' });
    const a = await loggedIn(srv);
    const b = await loggedIn(srv);
    await a.command('SELECT Old');
    assert.match((await b.command('RENAME Old New')).tagged, /OK/);
    await deliver(srv.store, USER, rawMessage('o2'), { mailbox: 'New' });
    const n = await a.command('NOOP');
    assert.ok(n.lines.includes('* 2 EXISTS'), n.lines.join('\n'));
    const f = await a.command('UID FETCH 1:* (UID)');
    assert.equal(f.lines.length, 2);
    assert.match((await a.command('STORE 2 +FLAGS (\\Flagged)')).tagged, /OK/);
    await a.close();
    await b.close();
  });
});
