import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { TestServer } from '../helpers/start-server.js';
import { PASS, startImapServer, USER } from '../protocol/imap/fixtures.js';

const run = promisify(execFile);

describe('IMAP with Python imaplib (implicit TLS)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
  });
  after(async () => srv.close());

  it('runs a whole session: mailboxes, APPEND, FETCH, SEARCH, STORE, COPY, MOVE, EXPUNGE', async () => {
    const script = join(import.meta.dirname, '..', 'fixtures', 'imap', 'imaplib_session.py');
    const { stdout } = await run('python3', [script, String(srv.port('imap', 1)), USER, PASS], { timeout: 20_000 });
    const r = JSON.parse(stdout) as Record<string, [string, unknown[]]> & { capabilities: string[] };
    assert.ok(r.capabilities.includes('IMAP4REV1'));
    for (const [name, res] of Object.entries(r)) {
      if (name === 'capabilities') continue;
      assert.equal((res as [string, unknown[]])[0], name === 'logout' ? 'BYE' : 'OK', `${name}: ${JSON.stringify(res)}`);
    }
    assert.ok((r['list']![1] as string[]).includes('(\\HasNoChildren) "/" "Projects/Alpha"'), JSON.stringify(r['list']));
    assert.match(String(r['append']![1][0]), /APPENDUID \d+ 1/);
    assert.deepEqual(r['select']![1], ['1']);
    assert.match(JSON.stringify(r['fetch']), /Subject: imaplib test/);
    assert.deepEqual(r['search']![1], ['1']);
    assert.deepEqual(r['uid_search']![1], ['1']);
    assert.match(String(r['copy']![1][0]), /COPYUID/);
    assert.deepEqual(r['expunge']![1], ['1']);
  });
});
