// THREAD over the wire (RFC 5256): the command gathers Message-ID, References, In-Reply-To, subjects and
// sent dates from stored messages and answers the hand-derived thread list; UID THREAD and search keys.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../../helpers/start-server.js';
import type { ImapTestClient } from './client.js';
import { deliver, loggedIn, startImapServer, USER } from './fixtures.js';

function mail(n: number, id: string, subject: string, headers = ''): Buffer {
  const date = new Date(Date.UTC(2024, 0, 1, 10, n)).toUTCString().replace('GMT', '+0000');
  return Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: ${subject}\r\nDate: ${date}\r\nMessage-ID: ${id}\r\n${headers}\r\nbody ${n}\r\n`);
}

describe('IMAP THREAD', () => {
  let srv: TestServer;
  let c: ImapTestClient;
  before(async () => {
    srv = await startImapServer();
    await deliver(srv.store, USER, mail(0, '<filler@x>', 'filler')); // expunged below: UIDs are then seq + 1
    const msgs = [
      mail(1, '<p1@x>', 'Plans'),
      mail(2, '<p2@x>', 'Re: Plans', 'In-Reply-To: <p1@x>\r\n'), // no References: In-Reply-To links it
      mail(3, '<p3@x>', 'Re: Plans', 'References: <p1@x>\r\n <p2@x>\r\n'), // folded References
      mail(4, '<q1@x>', 'Re: Lunch', 'References: <gone@x>\r\n'), // parent not in the mailbox: a dummy
      mail(5, '<q2@x>', 'Re: Lunch', 'References: <gone@x>\r\nIn-Reply-To: <other@x>\r\n'), // References wins
      mail(6, '<r1@x>', 'Lunch'), // step 6 rule b: joins the dummy
      mail(7, '<s1@x>', 'RE: Plans'), // step 6 rule c: a reply without references goes under 1
      mail(8, '<t1@x>', 'Report'),
      mail(9, '<t2@x>', 'Report'), // step 6 rule d: a new dummy holds 8 and 9
    ];
    for (const m of msgs) await deliver(srv.store, USER, m);
    c = await loggedIn(srv);
    await c.command('SELECT INBOX');
    await c.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await c.command('EXPUNGE');
  });
  after(async () => {
    await c.close();
    await srv.close();
  });

  it('REFERENCES builds the RFC 5256 §3 tree, subject merging included', async () => {
    assert.deepEqual((await c.command('THREAD REFERENCES UTF-8 ALL')).lines, ['* THREAD (1 (2 3)(7))((4)(5)(6))((8)(9))']);
  });

  it('UID THREAD answers UIDs', async () => {
    assert.deepEqual((await c.command('UID THREAD REFERENCES UTF-8 ALL')).lines, ['* THREAD (2 (3 4)(8))((5)(6)(7))((9)(10))']);
  });

  it('threads only the messages the search keys select', async () => {
    assert.deepEqual((await c.command('THREAD REFERENCES US-ASCII SUBJECT plans')).lines, ['* THREAD (1 (2 3)(7))']);
    assert.deepEqual((await c.command('THREAD REFERENCES UTF-8 SUBJECT nothing-matches')).lines, ['* THREAD']);
  });

  it('ORDEREDSUBJECT groups by base subject under the earliest message', async () => {
    assert.deepEqual((await c.command('THREAD ORDEREDSUBJECT UTF-8 ALL')).lines, ['* THREAD (1 (2)(3)(7))(4 (5)(6))(8 9)']);
  });
});
