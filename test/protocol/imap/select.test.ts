import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

describe('IMAP SELECT / EXAMINE / STATUS', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
    await deliver(srv.store, USER, rawMessage('first'), { flags: ['\\Seen', '$Important'] });
    await deliver(srv.store, USER, rawMessage('second'));
    await deliver(srv.store, USER, rawMessage('third'), { flags: ['\\Deleted', '\\Seen'] });
  });
  after(async () => srv.close());

  it('SELECT sends the mailbox state and READ-WRITE', async () => {
    const c = await loggedIn(srv);
    const r = await c.command('SELECT INBOX');
    assert.equal(r.lines[0], '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)');
    assert.ok(r.lines.includes('* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important \\*)] Flags permitted'));
    assert.ok(r.lines.includes('* 3 EXISTS'));
    assert.ok(r.lines.includes('* 3 RECENT')); // RFC 3501 §2.3.2: the first SELECT claims the new messages
    assert.ok(r.lines.some((l) => /^\* OK \[UIDVALIDITY \d+\]/.test(l)));
    assert.ok(r.lines.includes('* OK [UIDNEXT 4] Predicted next UID'));
    assert.ok(r.lines.some((l) => /^\* OK \[HIGHESTMODSEQ \d+\]/.test(l)));
    assert.ok(r.lines.includes('* OK [UNSEEN 2] First unseen'));
    assert.match(r.tagged, /^A2 OK \[READ-WRITE\]/);
    await c.close();
  });

  it('EXAMINE is READ-ONLY and refuses STORE; reselecting sends CLOSED', async () => {
    const c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    const r = await c.command('EXAMINE INBOX');
    assert.equal(r.lines[0], '* OK [CLOSED] Previous mailbox closed');
    assert.match(r.tagged, /OK \[READ-ONLY\]/);
    assert.match((await c.command('STORE 1 +FLAGS (\\Flagged)')).tagged, /NO/);
    assert.match((await c.command('SELECT nosuch')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await c.command('FETCH 1 FLAGS')).tagged, /BAD/, 'a failed SELECT leaves no mailbox selected');
    await c.close();
  });

  it('STATUS reports every item', async () => {
    const c = await loggedIn(srv);
    const r = await c.command('STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ)');
    assert.match(r.lines[0]!, /^\* STATUS "INBOX" \(MESSAGES 3 UIDNEXT 4 UIDVALIDITY \d+ UNSEEN 1 DELETED 1 SIZE \d+ RECENT 0 HIGHESTMODSEQ \d+\)$/);
    assert.match((await c.command('STATUS nosuch (MESSAGES)')).tagged, /NO \[NONEXISTENT\]/);
    await c.close();
  });

  it('CLOSE expunges \\Deleted silently; UNSELECT does not', async () => {
    const c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    const u = await c.command('UNSELECT');
    assert.deepEqual(u.lines, []);
    assert.deepEqual((await c.command('STATUS INBOX (MESSAGES)')).lines, ['* STATUS "INBOX" (MESSAGES 3)']);
    await c.command('SELECT INBOX');
    const cl = await c.command('CLOSE');
    assert.deepEqual(cl.lines, []);
    assert.deepEqual((await c.command('STATUS INBOX (MESSAGES)')).lines, ['* STATUS "INBOX" (MESSAGES 2)']);
    await c.close();
  });
});

describe('IMAP QRESYNC SELECT and UTF8=ACCEPT', () => {
  it('SELECT (QRESYNC ...) sends VANISHED (EARLIER) and changed flags', async () => {
    const srv = await startImapServer();
    try {
      for (const s of ['a', 'b', 'c']) await deliver(srv.store, USER, rawMessage(s));
      const c = await loggedIn(srv);
      await c.command('ENABLE QRESYNC');
      const sel = await c.command('SELECT INBOX');
      const validity = /UIDVALIDITY (\d+)/.exec(sel.lines.join('\n'))![1];
      const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.lines.join('\n'))![1]);
      await c.command('STORE 1 +FLAGS.SILENT (\\Seen)');
      await c.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
      await c.command('EXPUNGE');
      await c.command('UNSELECT');
      const r = await c.command(`SELECT INBOX (QRESYNC (${validity} ${modseq} 1:3))`);
      assert.ok(r.lines.includes('* VANISHED (EARLIER) 2'), r.lines.join('\n'));
      assert.ok(r.lines.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/.test(l)), r.lines.join('\n'));
      const f = await c.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`);
      assert.equal(f.lines[0], '* VANISHED (EARLIER) 2');
      await c.close();
    } finally {
      await srv.close();
    }
  });

  it('UTF8=ACCEPT: mailbox names in UTF-8', async () => {
    const srv = await startImapServer();
    try {
      const c = await loggedIn(srv);
      await c.command('CREATE "Caf&AOk-"');
      await c.command('ENABLE UTF8=ACCEPT');
      assert.deepEqual((await c.command('LIST "" "Caf*"')).lines, ['* LIST (\\HasNoChildren) "/" "Café"']);
      assert.match((await c.command('SELECT "Café"')).tagged, /OK/);
      await c.close();
    } finally {
      await srv.close();
    }
  });
});
