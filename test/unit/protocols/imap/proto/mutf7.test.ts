import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../../../../../src/protocols/imap/proto/errors.js';
import { decodeMutf7, encodeMutf7 } from '../../../../../src/protocols/imap/proto/mutf7.js';

const invalid = (e: unknown) => e instanceof ParseError && e.kind === 'invalid-mutf7';

test('encodes the RFC 3501 §5.1.3 example', () => {
  assert.equal(encodeMutf7('~peter/mail/台北/日本語'), '~peter/mail/&U,BTFw-/&ZeVnLIqe-');
  assert.equal(decodeMutf7('~peter/mail/&U,BTFw-/&ZeVnLIqe-'), '~peter/mail/台北/日本語');
});

test('escapes the ampersand', () => {
  assert.equal(encodeMutf7('Tom & Jerry'), 'Tom &- Jerry');
  assert.equal(decodeMutf7('Tom &- Jerry'), 'Tom & Jerry');
});

test('round-trips accents, emoji (surrogate pairs) and plain ASCII', () => {
  for (const s of ['Entwürfe', 'Отправленные', '📬 Inbox', 'plain', '&&', 'é&é']) {
    assert.equal(decodeMutf7(encodeMutf7(s)), s, s);
  }
  assert.equal(encodeMutf7('Entwürfe'), 'Entw&APw-rfe');
});

test('rejects invalid modified UTF-7 strictly', () => {
  for (const bad of [
    '&U,BTFw', // unterminated
    '&Jjo!-', // bad base64 char
    '&AGE-', // encodes printable ASCII "a"
    '&U,BTFw-&ZeVnLIqe-', // two adjacent shifts
    '&2D0A6Q-', // high surrogate followed by a non-surrogate
    '&2D0-', // unpaired surrogate
    '&U,BTF-', // partial unit / non-zero padding bits
    'caf\u00e9', // raw 8-bit
    'a\tb', // control character
  ]) {
    assert.throws(() => decodeMutf7(bad), invalid, bad);
  }
});
