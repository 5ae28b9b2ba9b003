import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../../src/protocols/imap/proto/errors.js';
import { parseCommand, tryParseCommand } from '../../../../../src/protocols/imap/proto/parse-command.js';
import { fetchResponseLabel, fetchSetsSeen } from '../../../../../src/protocols/imap/proto/parse-fetch.js';
import type { ImapCommand } from '../../../../../src/protocols/imap/proto/command-types.js';

const cmd = (s: string | Buffer, utf8 = false): ImapCommand =>
  parseCommand(typeof s === 'string' ? Buffer.from(s, 'utf8') : s, { utf8 }).command;
const err = (s: string, kind = 'syntax') => (e: unknown) => e instanceof ParseError && e.kind === kind;

test('reads the tag and simple commands', () => {
  assert.deepEqual(parseCommand(Buffer.from('a1 CAPABILITY')), { tag: 'a1', command: { kind: 'CAPABILITY' } });
  for (const k of ['NOOP', 'LOGOUT', 'STARTTLS', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE', 'NAMESPACE']) {
    assert.equal(cmd(`t ${k.toLowerCase()}`).kind, k);
  }
  assert.deepEqual(cmd('t EXPUNGE'), { kind: 'EXPUNGE', uids: null });
});

test('extra arguments, a missing command and a bad tag are errors with the tag attached', () => {
  assert.throws(() => parseCommand(Buffer.from('a1 NOOP x')), (e: unknown) => e instanceof ParseError && e.tag === 'a1');
  assert.throws(() => parseCommand(Buffer.from('a1')), (e: unknown) => e instanceof ParseError && e.tag === 'a1');
  assert.throws(() => parseCommand(Buffer.from('+x NOOP')), (e: unknown) => e instanceof ParseError && e.tag === null);
  assert.throws(() => parseCommand(Buffer.from('')), err(''));
});

test('unknown commands parse to UNKNOWN', () => {
  assert.deepEqual(cmd('t XYZZY a b'), { kind: 'UNKNOWN', name: 'XYZZY' });
});

test('LOGIN with atom, quoted and literal strings', () => {
  assert.deepEqual(cmd('a LOGIN fred "pa\\"ss"'), { kind: 'LOGIN', username: 'fred', password: 'pa"ss' });
  assert.deepEqual(cmd('a LOGIN {4+}\r\nfred {3}\r\nx y'), { kind: 'LOGIN', username: 'fred', password: 'x y' });
  assert.throws(() => cmd('a LOGIN "fred'), err(''));
  assert.throws(() => cmd('a LOGIN "a\\b" c'), err(''));
});

test('AUTHENTICATE with and without initial response', () => {
  assert.deepEqual(cmd('a AUTHENTICATE plain'), { kind: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: null });
  assert.deepEqual(cmd('a AUTHENTICATE PLAIN ='), { kind: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: '' });
  assert.deepEqual(cmd('a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0').kind, 'AUTHENTICATE');
  assert.throws(() => cmd('a AUTHENTICATE PLAIN abc'), err(''));
});

test('ENABLE, ID, COMPRESS', () => {
  assert.deepEqual(cmd('a ENABLE condstore UTF8=ACCEPT'), { kind: 'ENABLE', capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] });
  assert.throws(() => cmd('a ENABLE'), err(''));
  assert.deepEqual(cmd('a ID ("name" "mutt" "version" NIL)'), { kind: 'ID', params: [['name', 'mutt'], ['version', null]] });
  assert.deepEqual(cmd('a ID NIL'), { kind: 'ID', params: null });
  assert.deepEqual(cmd('a COMPRESS deflate'), { kind: 'COMPRESS', mechanism: 'DEFLATE' });
});

test('SELECT with CONDSTORE and QRESYNC parameters', () => {
  assert.deepEqual(cmd('a SELECT inbox'), { kind: 'SELECT', mailbox: 'INBOX', condstore: false, qresync: null });
  assert.deepEqual(cmd('a EXAMINE "Sent" (CONDSTORE)'), { kind: 'EXAMINE', mailbox: 'Sent', condstore: true, qresync: null });
  assert.deepEqual(cmd('a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))'), {
    kind: 'SELECT',
    mailbox: 'INBOX',
    condstore: false,
    qresync: {
      uidValidity: 67890007,
      modseq: 20050715194045000,
      knownUids: { kind: 'ranges', ranges: [{ from: 41, to: 41 }, { from: 43, to: 211 }, { from: 214, to: 541 }] },
      seqMatch: null,
    },
  });
  const q = cmd('a SELECT INBOX (QRESYNC (1 2 1:10 (1:3 5:7)))');
  assert.ok(q.kind === 'SELECT' && q.qresync?.seqMatch?.uids.kind === 'ranges');
  const q2 = cmd('a SELECT INBOX (QRESYNC (1 2))');
  assert.ok(q2.kind === 'SELECT' && q2.qresync?.knownUids === null);
  assert.throws(() => cmd('a SELECT INBOX (QRESYNC (0 2))'), err('', 'invalid-number'));
  assert.throws(() => cmd('a SELECT INBOX (BOGUS)'), err(''));
  assert.throws(() => cmd('a SELECT INBOX (CONDSTORE'), err(''));
});

test('mailbox names are decoded from modified UTF-7 unless UTF8=ACCEPT', () => {
  assert.deepEqual(cmd('a SELECT Entw&APw-rfe'), { kind: 'SELECT', mailbox: 'Entwürfe', condstore: false, qresync: null });
  assert.throws(() => cmd('a SELECT &Jjo!-'), err('', 'invalid-mutf7'));
  assert.deepEqual(cmd('a SELECT "Entwürfe"', true), { kind: 'SELECT', mailbox: 'Entwürfe', condstore: false, qresync: null });
});

test('CREATE validates the name and reads USE', () => {
  assert.deepEqual(cmd('a CREATE foo/'), { kind: 'CREATE', mailbox: 'foo', specialUse: [] });
  assert.deepEqual(cmd('a CREATE Spam (USE (\\junk))'), { kind: 'CREATE', mailbox: 'Spam', specialUse: ['\\Junk'] });
  for (const bad of ['a CREATE a//b', 'a CREATE /a', 'a CREATE a/../b', 'a CREATE "a%"', 'a CREATE "a*b"', 'a CREATE "a\u0001"']) {
    assert.throws(() => cmd(bad), (e: unknown) => e instanceof ParseError, bad);
  }
  assert.throws(() => cmd('a CREATE "x/../y"'), err('', 'invalid-mailbox'));
  assert.throws(() => cmd('a CREATE x (FOO)'), err(''));
});

test('DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS', () => {
  assert.deepEqual(cmd('a DELETE x'), { kind: 'DELETE', mailbox: 'x' });
  assert.deepEqual(cmd('a RENAME x y/z'), { kind: 'RENAME', from: 'x', to: 'y/z' });
  assert.throws(() => cmd('a RENAME x "y//z"'), err('', 'invalid-mailbox'));
  assert.deepEqual(cmd('a SUBSCRIBE x'), { kind: 'SUBSCRIBE', mailbox: 'x' });
  assert.deepEqual(cmd('a UNSUBSCRIBE x'), { kind: 'UNSUBSCRIBE', mailbox: 'x' });
  assert.deepEqual(cmd('a STATUS INBOX (MESSAGES unseen SIZE HIGHESTMODSEQ APPENDLIMIT)'), {
    kind: 'STATUS',
    mailbox: 'INBOX',
    items: ['MESSAGES', 'UNSEEN', 'SIZE', 'HIGHESTMODSEQ', 'APPENDLIMIT'],
  });
  assert.throws(() => cmd('a STATUS INBOX (BOGUS)'), err(''));
  assert.throws(() => cmd('a STATUS INBOX ()'), err(''));
});

test('LIST basic and extended', () => {
  assert.deepEqual(cmd('a LIST "" %'), {
    kind: 'LIST',
    reference: '',
    patterns: ['%'],
    selection: { subscribed: false, remote: false, recursiveMatch: false, specialUse: false },
    returns: { subscribed: false, children: false, specialUse: false, myRights: false, status: null },
    extended: false,
  });
  const l = cmd('a LIST (SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Drafts/*") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))');
  assert.ok(l.kind === 'LIST');
  assert.equal(l.extended, true);
  assert.deepEqual(l.patterns, ['INBOX', 'Drafts/*']);
  assert.equal(l.selection.recursiveMatch, true);
  assert.deepEqual(l.returns.status, ['MESSAGES', 'UNSEEN']);
  assert.equal(l.returns.specialUse, true);
  assert.throws(() => cmd('a LIST (RECURSIVEMATCH) "" *'), err(''));
  assert.throws(() => cmd('a LIST (BOGUS) "" *'), err(''));
  assert.throws(() => cmd('a LIST "" * RETURN (BOGUS)'), err(''));
  assert.deepEqual(cmd('a LSUB "" *'), { kind: 'LSUB', reference: '', pattern: '*' });
});

test('APPEND with flags, date, literal8, UTF8 and MULTIAPPEND', () => {
  const a = cmd('a APPEND saved-messages (\\Seen) "17-Jul-1996 02:44:25 -0700" {5}\r\nhello');
  assert.ok(a.kind === 'APPEND');
  assert.equal(a.mailbox, 'saved-messages');
  assert.deepEqual(a.messages[0]!.flags, ['\\Seen']);
  assert.equal(a.messages[0]!.date?.date.toISOString(), '1996-07-17T09:44:25.000Z');
  assert.equal(a.messages[0]!.data.toString(), 'hello');
  const m = cmd('a APPEND x {1+}\r\nA (\\Flagged) ~{2+}\r\n\0B UTF8 (~{1+}\r\nC)');
  assert.ok(m.kind === 'APPEND');
  assert.deepEqual(
    m.messages.map((x) => [x.data.toString('latin1'), x.binary, x.utf8, x.flags]),
    [['A', false, false, []], ['\0B', true, false, ['\\Flagged']], ['C', true, true, []]],
  );
  assert.throws(() => cmd('a APPEND x'), err(''));
  assert.throws(() => cmd('a APPEND x "bad date" {1}\r\nA'), err('', 'invalid-date'));
  assert.throws(() => cmd('a APPEND x {2}\r\nA\0'), err(''));
  assert.throws(() => cmd('a APPEND x (\\Recent) {1}\r\nA'), err(''));
  assert.throws(() => cmd('a APPEND x (\\Seen {1}\r\nA'), err(''));
});

test('FETCH macros and attributes', () => {
  const f = cmd('a FETCH 1:* ALL');
  assert.ok(f.kind === 'FETCH');
  assert.deepEqual(f.atts.map((x) => x.kind), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE']);
  const full = cmd('a FETCH 1 FULL');
  assert.ok(full.kind === 'FETCH' && full.atts.length === 5);
  const g = cmd(
    'a UID FETCH 1,3 (UID FLAGS ENVELOPE INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT BODY BODYSTRUCTURE MODSEQ ' +
      'BODY[] BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BODY[TEXT] BODY[2.MIME] BODY[HEADER.FIELDS.NOT (X-A)] BINARY[1] BINARY.PEEK[]<5.10> BINARY.SIZE[2])',
  );
  assert.ok(g.kind === 'FETCH' && g.uid);
  assert.deepEqual(g.atts.map(fetchResponseLabel), [
    'UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'RFC822', 'RFC822.HEADER', 'RFC822.SIZE', 'RFC822.TEXT', 'BODY', 'BODYSTRUCTURE',
    'MODSEQ', 'BODY[]', 'BODY[1.2.HEADER.FIELDS (FROM TO)]<0>', 'BODY[TEXT]', 'BODY[2.MIME]', 'BODY[HEADER.FIELDS.NOT (X-A)]',
    'BINARY[1]', 'BINARY[]<5>', 'BINARY.SIZE[2]',
  ]);
  assert.deepEqual(g.atts[12], {
    kind: 'BODY[]',
    peek: true,
    section: { part: [1, 2], text: 'HEADER.FIELDS', fields: ['From', 'To'] },
    partial: { offset: 0, length: 100 },
  });
  assert.equal(fetchSetsSeen(g.atts[11]!), true);
  assert.equal(fetchSetsSeen(g.atts[12]!), false);
});

test('FETCH modifiers CHANGEDSINCE and VANISHED', () => {
  const f = cmd('a UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)');
  assert.ok(f.kind === 'FETCH' && f.changedSince === 12345 && f.vanished);
  assert.throws(() => cmd('a FETCH 1 FLAGS (VANISHED)'), err(''));
  assert.throws(() => cmd('a FETCH 1:* (CHANGEDSINCE 1 VANISHED) '), err(''));
});

test('FETCH rejects malformed attributes and sections', () => {
  for (const bad of [
    'a FETCH 1 (FLAGS', 'a FETCH 1 FLAGS)', 'a FETCH 1 BOGUS', 'a FETCH 1 BODY[MIME]', 'a FETCH 1 BODY[0]', 'a FETCH 1 BODY[1.]',
    'a FETCH 1 BODY[HEADER.FIELDS ()]', 'a FETCH 1 BODY[]<0.0>', 'a FETCH 1 BODY[HEADER', 'a FETCH 1 (ALL)', 'a FETCH 0 FLAGS',
    'a FETCH 1:4294967296 FLAGS',
  ]) {
    assert.throws(() => cmd(bad), (e: unknown) => e instanceof ParseError, bad);
  }
});

test('STORE forms and UNCHANGEDSINCE', () => {
  assert.deepEqual(cmd('a STORE 2:4 +FLAGS (\\deleted)'), {
    kind: 'STORE', uid: false, set: { kind: 'ranges', ranges: [{ from: 2, to: 4 }] }, action: 'add', silent: false,
    flags: ['\\Deleted'], unchangedSince: null,
  });
  const s = cmd('a UID STORE 1 (UNCHANGEDSINCE 320162338) -FLAGS.SILENT \\Seen $Junk');
  assert.ok(s.kind === 'STORE' && s.uid && s.action === 'remove' && s.silent && s.unchangedSince === 320162338);
  assert.deepEqual(s.flags, ['\\Seen', '$Junk']);
  assert.ok((cmd('a STORE 1 FLAGS ()') as { flags: string[] }).flags.length === 0);
  assert.throws(() => cmd('a STORE 1 +FLAGS (\\*)'), err(''));
  assert.throws(() => cmd('a STORE 1 +LABELS (x)'), err(''));
});

test('COPY, MOVE and UID EXPUNGE', () => {
  assert.deepEqual(cmd('a UID MOVE 1:3 Trash'), { kind: 'MOVE', uid: true, set: { kind: 'ranges', ranges: [{ from: 1, to: 3 }] }, mailbox: 'Trash' });
  assert.deepEqual(cmd('a COPY $ Archive').kind, 'COPY');
  assert.deepEqual(cmd('a UID EXPUNGE 3000:3002'), { kind: 'EXPUNGE', uids: { kind: 'ranges', ranges: [{ from: 3000, to: 3002 }] } });
  assert.throws(() => cmd('a UID NOOP'), err(''));
});

test('SEARCH with RETURN, CHARSET and criteria', () => {
  const s = cmd('a UID SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 UNSEEN FROM "x"');
  assert.ok(s.kind === 'SEARCH' && s.uid && s.charset === 'UTF-8');
  assert.deepEqual(s.returns, ['MIN', 'COUNT', 'SAVE']);
  assert.equal(s.criteria.kind, 'and');
  const e = cmd('a SEARCH RETURN () ALL');
  assert.ok(e.kind === 'SEARCH' && Array.isArray(e.returns) && e.returns.length === 0);
  assert.throws(() => cmd('a SEARCH RETURN (BOGUS) ALL'), err(''));
  assert.throws(() => cmd('a SEARCH CHARSET KOI8-R ALL'), err('', 'bad-charset'));
});

test('SORT and THREAD', () => {
  const s = cmd('a UID SORT (REVERSE DATE subject DISPLAYFROM) UTF-8 SINCE 1-Feb-1994');
  assert.ok(s.kind === 'SORT' && s.uid);
  assert.deepEqual(s.criteria, [{ key: 'DATE', reverse: true }, { key: 'SUBJECT', reverse: false }, { key: 'DISPLAYFROM', reverse: false }]);
  assert.throws(() => cmd('a SORT (BOGUS) UTF-8 ALL'), err(''));
  assert.throws(() => cmd('a SORT (DATE) ALL'), (e: unknown) => e instanceof ParseError);
  assert.throws(() => cmd('a SORT (DATE) BIG5 ALL'), err('', 'bad-charset'));
  const t = cmd('a THREAD references US-ASCII ALL');
  assert.ok(t.kind === 'THREAD' && t.algorithm === 'REFERENCES' && t.charset === 'US-ASCII');
  assert.throws(() => cmd('a THREAD FOO UTF-8 ALL'), err(''));
});

test('QUOTA commands', () => {
  assert.deepEqual(cmd('a GETQUOTA ""'), { kind: 'GETQUOTA', root: '' });
  assert.deepEqual(cmd('a GETQUOTAROOT INBOX'), { kind: 'GETQUOTAROOT', mailbox: 'INBOX' });
  assert.deepEqual(cmd('a SETQUOTA "" (STORAGE 512 message 1000)'), {
    kind: 'SETQUOTA', root: '', limits: [{ resource: 'STORAGE', limit: 512 }, { resource: 'MESSAGE', limit: 1000 }],
  });
});

test('tryParseCommand returns the error instead of throwing', () => {
  const r = tryParseCommand(Buffer.from('a SELECT'));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error.tag === 'a');
});

test('random garbage only ever raises ParseError', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pieces = ['a ', 'FETCH ', 'SEARCH ', '(', ')', '"', '\\', '{3}\r\n', '~{1}\r\n', '1:*', ' ', 'BODY[', ']', '<1.2>', 'NOT ', 'OR ', 'x', '\r\n', '\0', '\u00ff', 'APPEND ', 'LIST ', 'STORE ', 'UID '];
  for (let i = 0; i < 3000; i++) {
    let s = rnd() < 0.5 ? 'a ' : '';
    const n = Math.floor(rnd() * 12);
    for (let k = 0; k < n; k++) s += pieces[Math.floor(rnd() * pieces.length)];
    try {
      parseCommand(Buffer.from(s, 'latin1'));
    } catch (e) {
      assert.ok(e instanceof ParseError, `${JSON.stringify(s)}: ${String(e)}`);
    }
  }
});
