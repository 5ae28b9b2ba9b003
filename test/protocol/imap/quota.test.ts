// QUOTA (RFC 9208) with the STORAGE resource in KiB: GETQUOTAROOT, GETQUOTA, SETQUOTA refused, and an account
// without a quota has no quota root.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import { deliver, loggedIn, PASS, rawMessage, startImapServer } from './fixtures.js';

describe('IMAP QUOTA', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer({
      users: [
        { address: 'alice@example.org', password: PASS, quotaBytes: 100 * 1024 },
        { address: 'bob@example.org', password: PASS },
      ],
    });
    await deliver(srv.store, 'alice@example.org', rawMessage('quota', 'x'.repeat(3000)));
  });
  after(async () => srv.close());

  it('GETQUOTAROOT and GETQUOTA report usage and limit in KiB', async () => {
    const c = await loggedIn(srv, 'alice@example.org');
    const r = await c.command('GETQUOTAROOT INBOX');
    assert.equal(r.lines[0], '* QUOTAROOT "INBOX" ""');
    assert.match(r.lines[1]!, /^\* QUOTA "" \(STORAGE (\d+) 100\)$/);
    const used = Number(/STORAGE (\d+)/.exec(r.lines[1]!)![1]);
    assert.ok(used >= 3 && used <= 4, `usage ${used} KiB`);
    assert.deepEqual((await c.command('GETQUOTA ""')).lines, [r.lines[1]]);
    assert.match((await c.command('GETQUOTA "other"')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await c.command('SETQUOTA "" (STORAGE 1)')).tagged, /NO \[NOPERM\]/);
    assert.match((await c.command('GETQUOTAROOT Nowhere')).tagged, /NO \[NONEXISTENT\]/);
    await c.close();
  });

  it('an account without a quota has no quota root', async () => {
    const c = await loggedIn(srv, 'bob@example.org');
    assert.deepEqual((await c.command('GETQUOTAROOT INBOX')).lines, ['* QUOTAROOT "INBOX"']);
    await c.close();
  });
});
