import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { headerBlock, inspectMessage, normalizeLineEndings } from '../../../../../src/protocols/smtp/server/message-checks.js';
import { receivedProtocol } from '../../../../../src/protocols/smtp/server/trace.js';

describe('inspectMessage', () => {
  test('passes a CRLF message through unchanged (same bytes)', () => {
    const m = Buffer.from('A: b\r\n\r\nc\r\n');
    const r = inspectMessage(m, 1000);
    assert.ok(r.ok && r.data === m && !r.normalized);
  });
  test('normalizes bare LF and bare CR to CRLF', () => {
    const r = inspectMessage(Buffer.from('A: b\n\nc\rd\r\n'), 1000);
    assert.ok(r.ok && r.normalized);
    assert.equal(r.ok && r.data.toString(), 'A: b\r\n\r\nc\r\nd\r\n');
    assert.equal(normalizeLineEndings(Buffer.from('\n\r\r\n')).toString(), '\r\n\r\n\r\n');
  });
  test('refuses NUL bytes and over-long lines with 554 5.6.0', () => {
    const nul = inspectMessage(Buffer.from('a\u0000b\r\n'), 1000);
    assert.ok(!nul.ok && nul.error.code === 554 && nul.error.enhanced === '5.6.0');
    assert.equal(inspectMessage(Buffer.from(`${'x'.repeat(998)}\r\n`), 1000).ok, true);
    assert.equal(inspectMessage(Buffer.from(`${'x'.repeat(999)}\r\n`), 1000).ok, false);
    assert.equal(inspectMessage(Buffer.from('x'.repeat(1001)), 1000).ok, false, 'an unterminated last line counts too');
  });
  test('headerBlock stops after the empty line', () => {
    assert.equal(headerBlock(Buffer.from('A: 1\r\n\r\nbody')).toString(), 'A: 1\r\n\r\n');
    assert.equal(headerBlock(Buffer.from('A: 1\r\n')).toString(), 'A: 1\r\n');
  });
});

describe('receivedProtocol', () => {
  const base = { kind: 'smtp' as const, extended: true, secure: false, authenticated: false, smtputf8: false };
  test('follows RFC 3848 and RFC 6531 §4.3', () => {
    assert.equal(receivedProtocol({ ...base, extended: false }), 'SMTP');
    assert.equal(receivedProtocol(base), 'ESMTP');
    assert.equal(receivedProtocol({ ...base, secure: true }), 'ESMTPS');
    assert.equal(receivedProtocol({ ...base, secure: true, authenticated: true }), 'ESMTPSA');
    assert.equal(receivedProtocol({ ...base, secure: true, smtputf8: true }), 'UTF8SMTPS');
    assert.equal(receivedProtocol({ ...base, kind: 'lmtp' }), 'LMTP');
    assert.equal(receivedProtocol({ ...base, kind: 'lmtp', smtputf8: true }), 'UTF8LMTP');
  });
});
