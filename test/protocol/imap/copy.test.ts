import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

describe('IMAP COPY / MOVE / EXPUNGE', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
    for (const s of ['a', 'b', 'c', 'd']) await deliver(srv.store, USER, rawMessage(s));
  });
  after(async () => srv.close());

  it('COPY answers COPYUID; a missing target is TRYCREATE', async () => {
    const c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    const r = await c.command('COPY 1:2 Archive');
    assert.match(r.tagged, /^A3 OK \[COPYUID \d+ 1[:,]2 1[:,]2\] COPY completed$/);
    assert.match((await c.command('COPY 1 Nowhere')).tagged, /NO \[TRYCREATE\]/);
    await c.close();
  });

  it('MOVE sends COPYUID then EXPUNGE; other sessions get EXPUNGE only at allowed points', async () => {
    const c = await loggedIn(srv);
    const d = await loggedIn(srv);
    await c.command('SELECT INBOX');
    await d.command('SELECT INBOX');
    const r = await c.command('MOVE 2 Trash');
    assert.match(r.lines[0]!, /^\* OK \[COPYUID \d+ 2 1\]/);
    assert.equal(r.lines[1], '* 2 EXPUNGE');
    // RFC 3501 §7.4.1: not during FETCH by sequence number...
    const f = await d.command('FETCH 1:* UID');
    assert.ok(!f.lines.some((l) => /EXPUNGE/.test(l)), f.lines.join('\n'));
    assert.equal(f.lines.length, 3, 'the expunged message is skipped, seq numbers unchanged');
    // ...but at NOOP.
    assert.deepEqual((await d.command('NOOP')).lines, ['* 2 EXPUNGE']);
    assert.deepEqual((await d.command('FETCH 2 UID')).lines, ['* 2 FETCH (UID 3)']);
    await c.close();
    await d.close();
  });

  it('EXPUNGE removes \\Deleted; UID EXPUNGE only the given UIDs; QRESYNC sends VANISHED', async () => {
    const c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    await c.command('STORE 1:* +FLAGS.SILENT (\\Deleted)');
    const u = await c.command('UID EXPUNGE 4');
    assert.deepEqual(u.lines, ['* 3 EXPUNGE']);
    await c.command('ENABLE QRESYNC');
    await c.command('SELECT INBOX');
    const e = await c.command('EXPUNGE');
    assert.deepEqual(e.lines, ['* VANISHED 1,3']);
    await c.close();
  });
});
