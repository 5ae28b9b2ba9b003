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

describe('IMAP with Python imaplib: every command of issue 5 item 2', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startImapServer();
  });
  after(async () => srv.close());

  it('STARTTLS, AUTHENTICATE PLAIN/LOGIN, ENABLE, mailboxes, APPEND (LITERAL+/-, MULTIAPPEND), UID variants, IDLE, INBOX rename', async () => {
    const script = join(import.meta.dirname, '..', 'fixtures', 'imap', 'imaplib_every_command.py');
    const { stdout } = await run('python3', [script, String(srv.port('strict')), String(srv.port('imap', 1)), USER, PASS], { timeout: 30_000 });
    const r = JSON.parse(stdout) as Record<string, unknown>;
    const res = (name: string): [string, unknown[]] => {
      const v = r[name] as [string, unknown[]] | undefined;
      assert.ok(v, `no result for ${name}`);
      return v;
    };
    const data = (name: string): string => (res(name)[1] as unknown[]).flat(3).join('\n');
    const expectNo = new Set(['examine_store']);
    const expectBye = new Set(['logout1', 'logout']);
    for (const [name, v] of Object.entries(r)) {
      if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || !Array.isArray(v[1])) continue;
      const want = expectNo.has(name) ? 'NO' : expectBye.has(name) ? 'BYE' : 'OK';
      assert.equal(v[0], want, `${name}: ${JSON.stringify(v)}`);
    }
    // STARTTLS / LOGINDISABLED (item 1) and AUTHENTICATE.
    const before = r['caps_before_tls'] as string[];
    assert.ok(before.includes('STARTTLS') && before.includes('LOGINDISABLED'), before.join(' '));
    assert.doesNotMatch(data('capability'), /LOGINDISABLED|STARTTLS/);
    assert.deepEqual(r['login_challenges'], ['Username:', 'Password:']);
    assert.deepEqual(r['enabled'], ['CONDSTORE']);
    assert.equal(data('namespace'), '(("" "/")) NIL NIL');
    assert.match(data('list'), /"Work\/Sub"/);
    assert.match(data('lsub'), /"Work\/Sub"/);
    assert.doesNotMatch(data('lsub_after'), /Work\/Sub/);
    assert.match(data('getquotaroot'), /^"INBOX"/);
    assert.match(data('append'), /APPENDUID \d+ 1\]/);
    assert.match(data('append_multi_literal_plus'), /APPENDUID \d+ 2[:,]3\]/);
    assert.match(data('append_literal_minus'), /APPENDUID \d+ 1\]/);
    assert.match(data('status'), /MESSAGES 3 UIDNEXT 4 UNSEEN 2 HIGHESTMODSEQ \d+ SIZE \d+/);
    assert.match(data('examine_store'), /read-only|READ-ONLY/i);
    assert.deepEqual(res('select')[1], ['3']);
    const fetch = data('fetch');
    assert.match(fetch, /^1 \(UID 1 FLAGS \(\\Flagged \\Recent\) INTERNALDATE "01-Feb-2024 10:00:00 \+0000"/m);
    assert.match(fetch, /^2 \(UID 2 FLAGS \(\\Seen \\Recent\) INTERNALDATE "02-Feb-2024 10:00:00 \+0000"/m);
    assert.match(fetch, /Subject: Re: first/);
    assert.match(data('uid_fetch'), /MODSEQ \(\d+\)/);
    assert.deepEqual(res('search')[1], ['3']);
    assert.deepEqual(res('uid_search')[1], ['2']);
    assert.deepEqual(res('sort')[1], ['1 2 3']);
    assert.deepEqual(res('uid_sort')[1], ['3 2 1']);
    assert.deepEqual(res('thread')[1], ['(1 2)(3)']);
    assert.deepEqual(res('uid_thread')[1], ['(1 2)(3)']);
    assert.match(data('store'), /FLAGS \(\\Answered \\Flagged \\Recent\)/, 'this session claimed the new messages as \\Recent');
    assert.match(data('copy'), /COPYUID/);
    for (const n of ['uid_copy', 'move', 'uid_move']) assert.match((r[`${n}_code`] as string[]).at(-1)!, /^\d+ \d+ \d+$/, n);
    assert.deepEqual(res('select_work')[1], ['3']);
    assert.deepEqual(r['uid_expunge_untagged'], ['1']);
    assert.deepEqual(res('expunge')[1], ['2', '1']);
    assert.equal(r['idle_continuation'], '+ idling');
    assert.equal(r['idle_push'], '* 2 EXISTS');
    assert.match(data('status_inbox'), /MESSAGES 0/);
    assert.match(data('status_old'), /MESSAGES 2/);
  });
});
