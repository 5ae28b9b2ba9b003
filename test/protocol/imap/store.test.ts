import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

describe('IMAP STORE', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    for (const s of ['a', 'b', 'c']) await deliver(srv.store, USER, rawMessage(s));
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

  it('+FLAGS, -FLAGS, FLAGS with untagged FETCH responses', async () => {
    assert.deepEqual((await c.command('STORE 1:2 +FLAGS (\\Flagged $Work)')).lines, ['* 1 FETCH (FLAGS (\\Flagged $Work))', '* 2 FETCH (FLAGS (\\Flagged $Work))']);
    assert.deepEqual((await c.command('STORE 2 -FLAGS (\\Flagged)')).lines, ['* 2 FETCH (FLAGS ($Work))']);
    assert.deepEqual((await c.command('UID STORE 3 FLAGS (\\Seen)')).lines, ['* 3 FETCH (UID 3 FLAGS (\\Seen))']);
  });

  it('.SILENT sends nothing of its own', async () => {
    const r = await c.command('STORE 1 +FLAGS.SILENT (\\Answered)');
    assert.deepEqual(r.lines, []);
    assert.match(r.tagged, /OK/);
  });

  it('other sessions see flag changes at the next command', async () => {
    const d = await loggedIn(srv);
    await d.command('SELECT INBOX');
    await c.command('STORE 3 +FLAGS.SILENT (\\Draft)');
    const r = await d.command('NOOP');
    assert.deepEqual(r.lines, ['* 3 FETCH (UID 3 FLAGS (\\Seen \\Draft))']);
    await d.close();
  });

  it('UNCHANGEDSINCE reports MODIFIED and sends MODSEQ', async () => {
    const r = await c.command('STORE 1:2 (UNCHANGEDSINCE 1) +FLAGS (\\Deleted)');
    assert.match(r.tagged, /OK \[MODIFIED 1:2\]/);
    const m = await c.command('FETCH 2 MODSEQ');
    const mod = Number(/MODSEQ \((\d+)\)/.exec(m.lines[0]!)![1]);
    const ok = await c.command(`STORE 2 (UNCHANGEDSINCE ${mod}) +FLAGS.SILENT (\\Seen)`);
    assert.match(ok.lines[0]!, /^\* 2 FETCH \(UID 2 MODSEQ \(\d+\)\)$/);
    assert.match(ok.tagged, /^A\d+ OK STORE/);
  });
});
