import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pop3Encoder, encodeCanonicalReply, servedSize } from '../../../src/protocols/pop3/message-encoding.js';
import { parseCommandLine, parseMessageNumber, uidlOf } from '../../../src/protocols/pop3/parser.js';

function encode(chunks: string[], top?: number): string {
  const e = new Pop3Encoder(top);
  let out = '';
  for (const c of chunks) {
    const r = e.push(Buffer.from(c, 'latin1'));
    out += r.out.toString('latin1');
    if (r.done) return out;
  }
  return out + e.end().toString('latin1');
}

/** What a client keeps: lines un-stuffed. */
function unstuff(wire: string): string {
  return wire.split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n');
}

const cases: Array<[string, string]> = [
  ['a\r\nb\r\n', 'a\r\nb\r\n'],
  ['a\nb\n', 'a\r\nb\r\n'],
  ['.x\n..y\r\n.\r\n', '..x\r\n...y\r\n..\r\n'],
  ['no newline', 'no newline\r\n'],
  ['ends in CR\r', 'ends in CR\r\n'],
  ['mid\rcr\n', 'mid\rcr\r\n'],
  ['', ''],
];

test('bare LF becomes CRLF, leading dots are stuffed, the last line is terminated', () => {
  for (const [input, wire] of cases) {
    assert.equal(encode([input]), wire, JSON.stringify(input));
    assert.equal(servedSize(Buffer.from(input, 'latin1')), Buffer.byteLength(unstuff(wire), 'latin1'), JSON.stringify(input));
  }
});

test('the RETR fast path for CRLF bodies stuffs exactly like the encoder and adds the terminator once', () => {
  const bodies = ['', '.\r\n', '..\r\n', 'a\r\n', '.a\r\n.\r\n..b\r\nc.d\r\n', 'x\r\n.\r\n.\r\n.y\r\n', '\r\n.\r\n'];
  for (const body of bodies) {
    assert.equal(servedSize(Buffer.from(body, 'latin1')), body.length, `${JSON.stringify(body)} is canonical`);
    const head = 'S: +OK\r\nP: prefix\r\n';
    const wire = encodeCanonicalReply(Buffer.from(head, 'latin1'), Buffer.from(body, 'latin1')).toString('latin1');
    assert.equal(wire, head + encode([body]) + '.\r\n', JSON.stringify(body));
    // The same reply from a status string into memory from a pool: exactly the reply's length, bytes identical.
    const pool = Buffer.alloc(1024, 0x21);
    const pooled = encodeCanonicalReply(head, Buffer.from(body, 'latin1'), (n) => pool.subarray(0, n));
    assert.equal(pooled.toString('latin1'), wire);
  }
});

test('the result does not depend on how the input is chunked', () => {
  const input = 'H: v\n\n.a\r\nb\n.\r\n..c\nend\r';
  const whole = encode([input]);
  for (let i = 0; i <= input.length; i++) {
    for (let j = i; j <= input.length; j += 3) {
      assert.equal(encode([input.slice(0, i), input.slice(i, j), input.slice(j)]), whole, `${i},${j}`);
      const parts = [input.slice(0, i), input.slice(i, j), input.slice(j)].map((p) => Buffer.from(p, 'latin1'));
      assert.equal(servedSize(...parts), servedSize(Buffer.from(input, 'latin1')));
    }
  }
});

test('TOP stops after the header, the blank line and n body lines', () => {
  const msg = 'A: 1\r\nB: 2\n\nl1\n.l2\r\nl3\n';
  assert.equal(encode([msg], 0), 'A: 1\r\nB: 2\r\n\r\n');
  assert.equal(encode([msg], 2), 'A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n');
  assert.equal(encode([msg], 10), 'A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n');
  assert.equal(encode(['A: 1\r', '\n\r', '\nbody\r\n'], 0), 'A: 1\r\n\r\n');
  assert.equal(encode(['only header\r\n'], 0), 'only header\r\n');
});

test('command lines parse case-insensitively and PASS keeps spaces', () => {
  assert.deepEqual(parseCommandLine('retr 1'), { verb: 'RETR', args: ['1'], rest: '1' });
  assert.deepEqual(parseCommandLine('PASS a b  c')?.rest, 'a b  c');
  assert.equal(parseCommandLine(''), null);
  assert.equal(parseCommandLine('R3TR 1'), null);
  assert.equal(parseMessageNumber('0'), null);
  assert.equal(parseMessageNumber('+1'), null);
  assert.equal(parseMessageNumber('007'), 7);
  assert.equal(parseMessageNumber('99999999999'), null);
  assert.equal(uidlOf(0x1234abcd, 5), '1234ABCD00000005');
});
