import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

describe('IMAP CREATE / DELETE / RENAME / SUBSCRIBE', () => {
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

  it('creates a mailbox and its missing parents; a trailing separator is ignored', async () => {
    assert.match((await c.command('CREATE "a/b/c/"')).tagged, /OK/);
    const r = await c.command('LIST "" "a*"');
    assert.deepEqual(r.lines.map((l) => l.split(' "/" ')[1]), ['"a"', '"a/b"', '"a/b/c"']);
  });

  it('refuses existing names, INBOX, bad names', async () => {
    assert.match((await c.command('CREATE "a"')).tagged, /NO \[ALREADYEXISTS\]/);
    assert.match((await c.command('CREATE inbox')).tagged, /NO \[ALREADYEXISTS\]/);
    assert.match((await c.command('CREATE "x/../y"')).tagged, /BAD/);
    assert.match((await c.command('CREATE "x%y"')).tagged, /BAD/);
  });

  it('CREATE with USE sets a special use (RFC 6154)', async () => {
    assert.match((await c.command('CREATE "Everything" (USE (\\All))')).tagged, /OK/);
    assert.deepEqual((await c.command('LIST "" "Everything"')).lines, ['* LIST (\\HasNoChildren \\All) "/" "Everything"']);
    assert.match((await c.command('CREATE "Bogus" (USE (\\Important))')).tagged, /NO \[USEATTR\]/);
  });

  it('renames a mailbox with its children', async () => {
    assert.match((await c.command('RENAME "a" "z"')).tagged, /OK/);
    const r = await c.command('LIST "" "*"');
    assert.ok(r.lines.some((l) => l.endsWith('"z/b/c"')));
    assert.ok(!r.lines.some((l) => l.endsWith('"a"')));
    assert.match((await c.command('RENAME "nope" "y"')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await c.command('RENAME "z" "Sent"')).tagged, /NO \[ALREADYEXISTS\]/);
  });

  it('renaming INBOX moves its messages and leaves INBOX empty', async () => {
    await deliver(srv.store, USER, rawMessage('one'));
    await deliver(srv.store, USER, rawMessage('two'));
    assert.match((await c.command('RENAME INBOX "Old"')).tagged, /OK/);
    assert.deepEqual((await c.command('STATUS INBOX (MESSAGES)')).lines, ['* STATUS "INBOX" (MESSAGES 0)']);
    assert.deepEqual((await c.command('STATUS "Old" (MESSAGES)')).lines, ['* STATUS "Old" (MESSAGES 2)']);
  });

  it('deletes mailboxes but never INBOX', async () => {
    assert.match((await c.command('DELETE "z/b/c"')).tagged, /OK/);
    assert.match((await c.command('DELETE "z/b/c"')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await c.command('DELETE INBOX')).tagged, /NO/);
  });

  it('SUBSCRIBE/UNSUBSCRIBE', async () => {
    assert.match((await c.command('SUBSCRIBE "Old"')).tagged, /OK/);
    assert.deepEqual((await c.command('LSUB "" "Old"')).lines, ['* LSUB () "/" "Old"']);
    assert.match((await c.command('UNSUBSCRIBE "Old"')).tagged, /OK/);
    assert.deepEqual((await c.command('LSUB "" "Old"')).lines, []);
  });
});
