import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../../src/protocols/imap/proto/errors.js';
import { Cursor } from '../../../../../src/protocols/imap/proto/tokenizer.js';

const cur = (s: string | Buffer) => new Cursor(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
const syntax = (e: unknown) => e instanceof ParseError && e.kind === 'syntax';

test('reads atoms, tags and keywords', () => {
  const c = cur('A001 fetch');
  assert.equal(c.tag(), 'A001');
  c.sp();
  assert.equal(c.keyword('FETCH'), true);
  c.end();
  assert.equal(cur('FETCHX').keyword('FETCH'), false);
  assert.throws(() => cur('+a').tag(), syntax);
});

test('reads quoted strings with escapes and UTF-8', () => {
  assert.equal(cur('"a\\"b\\\\c"').string(), 'a"b\\c');
  assert.equal(cur('"Grüße"').string(), 'Grüße');
  assert.throws(() => cur('"abc').string(), syntax);
  assert.throws(() => cur('"a\\nb"').string(), syntax);
  assert.throws(() => cur(Buffer.from('"a\rb"')).string(), syntax);
});

test('reads literals of every flavour', () => {
  assert.equal(cur('{3}\r\nabc').string(), 'abc');
  assert.equal(cur('{3+}\r\nabc').string(), 'abc');
  assert.equal(cur('{3-}\r\nabc').string(), 'abc');
  assert.deepEqual(cur('~{2}\r\n\0a').literal(), { data: Buffer.from('\0a', 'latin1'), binary: true });
  assert.throws(() => cur('{5}\r\nabc').literal(), syntax);
  assert.throws(() => cur('{3}abc').literal(), syntax);
  assert.throws(() => cur('{2}\r\n\0a').literal(), syntax);
});

test('astring, nstring and list-mailbox', () => {
  assert.equal(cur('foo]bar').astring(), 'foo]bar');
  assert.equal(cur('NIL').nstring(), null);
  assert.equal(cur('"NIL"').nstring(), 'NIL');
  assert.equal(cur('a/%/*').listMailbox(), 'a/%/*');
  assert.throws(() => cur('(x').astring(), syntax);
});

test('numbers are range-checked', () => {
  assert.equal(cur('4294967295').number(), 4294967295);
  assert.throws(() => cur('4294967296').number(), (e: unknown) => e instanceof ParseError && e.kind === 'invalid-number');
  assert.throws(() => cur('0').nzNumber(), (e: unknown) => e instanceof ParseError && e.kind === 'invalid-number');
  assert.equal(cur('9223372036854775807').number64(), Number(9223372036854775807n));
  assert.throws(() => cur('9223372036854775808').number64(), (e: unknown) => e instanceof ParseError);
});
