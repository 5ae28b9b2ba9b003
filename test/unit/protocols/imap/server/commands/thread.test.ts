// RFC 5256 §3 thread algorithms on a crafted message set whose expected tree is derived by hand (see the
// comments per message): every step of REFERENCES (links, loops, dummies, pruning, subject merging rules
// a-d, sorting) and ORDEREDSUBJECT.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatThreads,
  isReplyOrForward,
  threadOrderedSubject,
  threadReferences,
  type ThreadInput,
} from '../../../../../../src/protocols/imap/server/commands/thread.js';

/** Message `seq`, sent at `seq` seconds unless `date` says otherwise. */
function m(seq: number, messageId: string | null, subject: string | null, references: string[] = [], date?: number): ThreadInput {
  return { seq, messageId, subject, references, date: date ?? seq * 1000 };
}

const bySeq = (x: ThreadInput): number => x.seq;

describe('THREAD=REFERENCES (RFC 5256 §3)', () => {
  const set: ThreadInput[] = [
    // Step 1: References and In-Reply-To links → 1 (2 3)(4)
    m(1, '<a>', 'Lunch'),
    m(2, '<b>', 'Re: Lunch', ['<a>']),
    m(3, '<c>', 'Re: Lunch', ['<a>', '<b>']),
    m(4, '<d>', 'Re: Lunch', ['<a>']), // the caller's In-Reply-To fallback
    // Step 4B: a root dummy with two children stays → ((5)(6)) and 15 joins it in step 6 rule b
    m(5, '<e>', 'Party', ['<missing1>']),
    m(6, '<f>', 'Party plans', ['<missing1>']),
    // Step 4B: a root dummy with one child is replaced by it → (7)
    m(7, '<g>', 'Solo', ['<missing2>']),
    // Step 4B: a dummy below the root is spliced into its parent → 8 (9)(10)
    m(8, '<h>', 'Tree'),
    m(9, '<i>', 'Re: Tree', ['<h>', '<missing3>']),
    m(10, '<j>', 'Re: Tree', ['<h>', '<missing3>']),
    // Step 6 rule c: a reply without references goes under the original → 11 12
    m(11, '<k>', 'Report'),
    m(12, '<l>', 'Re: Report'),
    // Step 6 rule d: two originals with one subject get a dummy parent → ((13)(14))
    m(13, '<m>', 'Minutes'),
    m(14, '<n>', 'Minutes'),
    // Step 6 rule b (with 5, 6)
    m(15, '<o>', 'Party'),
    // Step 6.B.v: the original replaces the earlier reply in the subject table → 17 16
    m(16, '<p>', 'Re: Budget'),
    m(17, '<q>', 'Budget'),
    // Step 6.B.ii: empty subjects are never merged → (18)(19)
    m(18, '<r>', null),
    m(19, '<s>', ''),
    // Step 6 rule a: two root dummies with one subject share their children → ((20)(21)(22)(23))
    m(20, '<t>', 'Trip', ['<missing4>']),
    m(21, '<u>', 'Trip', ['<missing4>']),
    m(22, '<v>', 'Re: Trip', ['<missing5>']),
    m(23, '<w>', 'Trip', ['<missing5>']),
    // Step 1: a link that would make a loop is not made → 25 24
    m(24, '<x>', 'Loop', ['<y>']),
    m(25, '<y>', 'Loop', ['<x>']),
    // Step 1A: an existing parent is kept (28 stays under 27) → 26 27 28 29
    m(26, '<z1>', 'Chain'),
    m(27, '<z2>', 'Re: Chain', ['<z1>']),
    m(28, '<z3>', 'Re: Chain', ['<z1>', '<z2>']),
    m(29, '<z4>', 'Re: Chain', ['<z1>', '<z3>']),
    // Step 1: a duplicate Message-ID is a message of its own; then rule d → ((30)(31))
    m(30, '<dup>', 'Dup'),
    m(31, '<dup>', 'Dup'),
  ];

  it('builds the hand-derived tree for the crafted set', () => {
    assert.equal(
      formatThreads(threadReferences(set), bySeq),
      '(1 (2 3)(4))((5)(6)(15))(7)(8 (9)(10))(11 12)((13)(14))(17 16)(18)(19)((20)(21)(22)(23))(25 24)(26 27 28 29)((30)(31))',
    );
  });

  it('does not depend on the order messages arrive in (except which link of a loop wins)', () => {
    const noLoop = set.filter((x) => x.seq !== 24 && x.seq !== 25);
    assert.equal(formatThreads(threadReferences([...noLoop].reverse()), bySeq), formatThreads(threadReferences(noLoop), bySeq));
  });

  it('sorts siblings and threads by sent date, ties by sequence number (§2.2, step 7)', () => {
    const msgs = [
      m(1, '<r1>', 'Root', [], 5000),
      m(2, '<c1>', 'Re: Root', ['<r1>'], 9000),
      m(3, '<c2>', 'Re: Root', ['<r1>'], 7000),
      m(4, '<c3>', 'Re: Root', ['<r1>'], 7000),
      m(5, '<other>', 'Other', [], 1000),
    ];
    assert.equal(formatThreads(threadReferences(msgs), bySeq), '(5)(1 (3)(4)(2))');
  });

  it('a message listed after its reply still becomes the parent (step 1B replaces the dummy)', () => {
    const msgs = [m(1, '<reply>', 'Re: Q', ['<orig>']), m(2, '<orig>', 'Q')];
    assert.equal(formatThreads(threadReferences(msgs), bySeq), '(2 1)');
  });

  it('a later message with a longer References moves a message to its correct parent (step 1B)', () => {
    // 2 first claims (truncated References) to answer <a>; 3 says <a> → <b> → <c>: 2 is <c>'s child? No:
    // 2 is its own message and keeps its last reference; 3 links <b> under <a> and itself under <b>.
    const msgs = [m(1, '<a>', 'S'), m(2, '<c>', 'Re: S', ['<a>']), m(3, '<d>', 'Re: S', ['<a>', '<b>', '<c>'])];
    // <c> (2) already has a parent (<a>), so step 1A leaves it; 3 goes under <c>. <b> is a childless dummy.
    assert.equal(formatThreads(threadReferences(msgs), bySeq), '(1 2 3)');
  });
});

describe('THREAD=ORDEREDSUBJECT (RFC 5256 §3)', () => {
  it('groups by base subject; the earliest is the parent, the others its children by date', () => {
    const msgs = [m(1, null, 'Hello', [], 3000), m(2, null, 'Re: hello', [], 1000), m(3, null, 'World', [], 2000), m(4, null, 'Fwd: Hello', [], 4000)];
    assert.equal(formatThreads(threadOrderedSubject(msgs), bySeq), '(2 (1)(4))(3)');
  });
});

describe('reply or forward (RFC 5256 §2.1 for §3 step 6)', () => {
  it('recognises Re:, Fwd:, blobs, (fwd) and [fwd: ...]', () => {
    for (const s of ['Re: x', 'RE:x', 'Fw: x', 'fwd: x', '[list] Re: x', 'Re[2]: x', 'x (fwd)', '[Fwd: x]']) assert.ok(isReplyOrForward(s), s);
    for (const s of ['x', 'Regarding x', '[list] x', null, '']) assert.ok(!isReplyOrForward(s), String(s));
  });
});
