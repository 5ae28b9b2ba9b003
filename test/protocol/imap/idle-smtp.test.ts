// Issue 5 item 6: mail delivered by SMTP shows up in an IDLE session within one second (the store's change
// feed wakes the session), and a second session sees it at its next command.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deliverBySmtp } from '../../helpers/smtp-deliver.js';
import type { TestServer } from '../../helpers/start-server.js';
import { loggedIn, rawMessage, startImapServer, USER } from './fixtures.js';

describe('IMAP IDLE with SMTP delivery', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer({ listeners: [{ protocol: 'imap', tls: 'starttls', extra: 'allow_plaintext_auth = true' }, 'smtp'] });
  });
  after(async () => srv.close());

  it('pushes EXISTS to an idling session within a second of the SMTP transaction', async () => {
    const idler = await loggedIn(srv);
    const other = await loggedIn(srv);
    await idler.command('SELECT INBOX');
    await other.command('SELECT INBOX');
    idler.write('I1 IDLE\r\n');
    assert.match(await idler.readResponse(), /^\+ /);
    const t0 = Date.now();
    await deliverBySmtp(srv, USER, [rawMessage('over smtp', 'pushed body').toString()]);
    assert.equal(await idler.readResponse(1000), '* 1 EXISTS');
    const ms = Date.now() - t0;
    assert.ok(ms < 1000, `took ${ms} ms`);
    idler.write('DONE\r\n');
    assert.match((await idler.until('I1')).tagged, /OK/);
    const f = await idler.command('FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    assert.match(f.lines[0]!, /Subject: over smtp/);
    assert.ok((await other.command('NOOP')).lines.includes('* 1 EXISTS'));
    await Promise.all([idler.close(), other.close()]);
  });
});
