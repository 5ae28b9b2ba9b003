import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

describe('IMAP IDLE', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
    await deliver(srv.store, USER, rawMessage('first'));
  });
  after(async () => srv.close());

  it('pushes new mail, flag changes and expunges while idling; DONE ends it', async () => {
    const c = await loggedIn(srv);
    const d = await loggedIn(srv);
    await c.command('SELECT INBOX');
    await d.command('SELECT INBOX');
    c.write('I1 IDLE\r\n');
    assert.equal(await c.readResponse(), '+ idling');
    const t0 = Date.now();
    await deliver(srv.store, USER, rawMessage('second'));
    assert.equal(await c.readResponse(1000), '* 2 EXISTS');
    assert.equal(await c.readResponse(1000), '* 2 RECENT'); // c claimed message 1 at SELECT and, selected first, message 2
    assert.ok(Date.now() - t0 < 1000);
    await d.command('STORE 1 +FLAGS (\\Deleted)');
    assert.equal(await c.readResponse(1000), '* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))');
    await d.command('EXPUNGE');
    assert.equal(await c.readResponse(1000), '* 1 EXPUNGE');
    c.write('DONE\r\n');
    assert.match(await c.readResponse(), /^I1 OK/);
    assert.match((await c.command('NOOP')).tagged, /OK/);
    await c.close();
    await d.close();
  });

  it('anything but DONE ends IDLE with BAD', async () => {
    const c = await loggedIn(srv);
    c.write('I2 IDLE\r\n');
    await c.readResponse();
    c.write('NOPE\r\n');
    assert.match(await c.readResponse(), /^I2 BAD/);
    await c.close();
  });
});
