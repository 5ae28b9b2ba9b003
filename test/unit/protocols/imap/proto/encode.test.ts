import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  atom,
  concat,
  continuation,
  encodeAstring,
  encodeString,
  encodeValue,
  fetchResponse,
  flagList,
  literal,
  tagged,
  untagged,
  untaggedStatus,
} from '../../../../../src/protocols/imap/proto/encode.js';

const s = (b: Buffer) => b.toString('utf8');

test('quotes strings and escapes quote and backslash', () => {
  assert.equal(s(encodeString('a "b" \\c')), '"a \\"b\\" \\\\c"');
  assert.equal(s(encodeString('')), '""');
});

test('uses a literal for CR, LF, NUL, 8-bit (without UTF-8) and long strings', () => {
  assert.equal(s(encodeString('a\r\nb')), '{4}\r\na\r\nb');
  assert.equal(s(encodeString('Grüße')), '{7}\r\nGrüße');
  assert.equal(s(encodeString('Grüße', { utf8: true })), '"Grüße"');
  assert.ok(s(encodeString('x'.repeat(2000))).startsWith('{2000}\r\n'));
});

test('writes NIL, numbers, atoms, lists and literal8', () => {
  assert.equal(s(encodeValue([null, 42, 12345678901234n, atom('\\Seen'), ['a', []]])), '(NIL 42 12345678901234 \\Seen ("a" ()))');
  assert.equal(encodeValue(literal(Buffer.from([0, 1]), true)).toString('latin1'), '~{2}\r\n\0\x01');
  assert.equal(s(encodeValue(concat([['a'], ['b']]))), '(("a")("b"))');
});

test('astrings are atoms when possible', () => {
  assert.equal(s(encodeAstring('INBOX')), 'INBOX');
  assert.equal(s(encodeAstring('a b')), '"a b"');
  assert.equal(s(encodeAstring('NIL')), '"NIL"');
  assert.equal(s(encodeAstring('a]b')), '"a]b"');
});

test('untagged, tagged, status and continuation responses', () => {
  assert.equal(s(untagged([atom('3'), atom('EXISTS')])), '* 3 EXISTS\r\n');
  assert.equal(s(tagged('a1', 'OK', 'SELECT completed', 'READ-WRITE')), 'a1 OK [READ-WRITE] SELECT completed\r\n');
  assert.equal(s(tagged('a2', 'BAD', 'bad\r\nthing')), 'a2 BAD bad thing\r\n');
  assert.equal(s(untaggedStatus('OK', 'Still here', 'UIDVALIDITY 3857529045')), '* OK [UIDVALIDITY 3857529045] Still here\r\n');
  assert.equal(s(continuation()), '+ OK\r\n');
});

test('builds a FETCH response', () => {
  assert.equal(
    s(fetchResponse(12, [['UID', 7], ['FLAGS', flagList(['\\Seen', '$Junk'])], ['BODY[]<0>', literal('hi')]])),
    '* 12 FETCH (UID 7 FLAGS (\\Seen $Junk) BODY[]<0> {2}\r\nhi)\r\n',
  );
});
