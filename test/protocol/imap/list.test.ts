import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { loggedIn, startImapServer } from './fixtures.js';

describe('IMAP LIST / LSUB', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    c = await loggedIn(srv);
    for (const n of ['Work', 'Work/Projects', 'Work/Projects/Alpha', 'Caf&AOk-']) assert.match((await c.command(`CREATE "${n}"`)).tagged, /OK/);
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  it('returns the delimiter for an empty pattern', async () => {
    const r = await c.command('LIST "" ""');
    assert.deepEqual(r.lines, ['* LIST (\\Noselect) "/" ""']);
  });

  it('lists everything with *, INBOX first, with children and special-use attributes', async () => {
    const r = await c.command('LIST "" "*"');
    assert.equal(r.lines[0], '* LIST (\\HasNoChildren) "/" "INBOX"');
    assert.ok(r.lines.includes('* LIST (\\HasNoChildren \\Sent) "/" "Sent"'), r.lines.join('\n'));
    assert.ok(r.lines.includes('* LIST (\\HasChildren) "/" "Work"'));
    assert.ok(r.lines.includes('* LIST (\\HasNoChildren) "/" "Work/Projects/Alpha"'));
    assert.ok(r.lines.includes('* LIST (\\HasNoChildren) "/" "Caf&AOk-"'), 'modified UTF-7 name round-trips');
  });

  it('% stops at the hierarchy separator; reference names combine', async () => {
    const r = await c.command('LIST "" "%"');
    assert.ok(!r.lines.some((l) => l.includes('Work/')));
    const w = await c.command('LIST "Work" "%"');
    assert.deepEqual(w.lines, ['* LIST (\\HasChildren) "/" "Work/Projects"']);
  });

  it('LIST-EXTENDED: SPECIAL-USE selection and RETURN (SUBSCRIBED STATUS)', async () => {
    const su = await c.command('LIST (SPECIAL-USE) "" "*"');
    assert.ok(su.lines.length >= 4 && su.lines.every((l) => /\\(Sent|Drafts|Trash|Junk|Archive)/.test(l)), su.lines.join('\n'));
    await c.command('SUBSCRIBE "Work/Projects"');
    const sub = await c.command('LIST (SUBSCRIBED) "" "Work*"');
    assert.deepEqual(sub.lines, ['* LIST (\\HasChildren \\Subscribed) "/" "Work/Projects"']);
    const rec = await c.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"');
    assert.ok(rec.lines.includes('* LIST (\\HasChildren) "/" "Work" ("CHILDINFO" ("SUBSCRIBED"))'), rec.lines.join('\n'));
    const st = await c.command('LIST "" "INBOX" RETURN (STATUS (MESSAGES UIDNEXT))');
    assert.deepEqual(st.lines, ['* LIST (\\HasNoChildren) "/" "INBOX"', '* STATUS "INBOX" (MESSAGES 0 UIDNEXT 1)']);
  });

  it('LSUB lists subscriptions and \\Noselect parents for %', async () => {
    const r = await c.command('LSUB "" "%"');
    assert.ok(r.lines.includes('* LSUB (\\Noselect) "/" "Work"'), r.lines.join('\n'));
    const all = await c.command('LSUB "" "*"');
    assert.ok(all.lines.includes('* LSUB () "/" "Work/Projects"'));
    await c.command('UNSUBSCRIBE "Work/Projects"');
    assert.ok(!(await c.command('LSUB "" "*"')).lines.some((l) => l.includes('Work/Projects')));
  });
});
