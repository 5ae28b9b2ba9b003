/** Authentication-Results parsing, formatting and the removal of forged fields (RFC 8601 §2.2, §5). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authResultsHeader, authservIdOf, stripForgedAuthResults, stripSpamHeaders } from '../../../src/antispam/auth-results.js';

describe('authservIdOf', () => {
  it('reads the first token, ignoring comments, a version and case', () => {
    assert.equal(authservIdOf(' MX.Example.org; spf=pass'), 'mx.example.org');
    assert.equal(authservIdOf(' (forged) mx.example.org 1; dkim=pass'), 'mx.example.org');
    assert.equal(authservIdOf('mx.example.org;'), 'mx.example.org');
    assert.equal(authservIdOf(' "mx.example.org"; none'), 'mx.example.org');
  });
});

describe('stripForgedAuthResults', () => {
  const msg = (h: string): Buffer => Buffer.from(`${h}Subject: x\r\n\r\nAuthentication-Results: mx.example.org; body line stays\r\n`);

  it('removes folded fields with our authserv-id and keeps the rest byte for byte', () => {
    const input = msg('Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=bank.test\r\nAuthentication-Results: other.test; spf=pass\r\nauthentication-results:MX.EXAMPLE.ORG 1; none\r\n');
    const { data, removed } = stripForgedAuthResults(input, 'mx.example.org');
    assert.equal(removed, 2);
    assert.equal(data.toString(), 'Authentication-Results: other.test; spf=pass\r\nSubject: x\r\n\r\nAuthentication-Results: mx.example.org; body line stays\r\n');
  });

  it('returns the same buffer when there is nothing to remove', () => {
    const input = msg('Authentication-Results: mx.example.org.evil.test; spf=pass\r\n');
    const out = stripForgedAuthResults(input, 'mx.example.org');
    assert.equal(out.removed, 0);
    assert.equal(out.data, input);
  });

  it('handles bare LF line ends and 8-bit bytes', () => {
    const input = Buffer.concat([Buffer.from('Authentication-Results: mx.example.org; x\nSubject: '), Buffer.from([0xe9]), Buffer.from('\n\nbody\n')]);
    const { data } = stripForgedAuthResults(input, 'mx.example.org');
    assert.deepEqual(data, Buffer.concat([Buffer.from('Subject: '), Buffer.from([0xe9]), Buffer.from('\n\nbody\n')]));
  });
});

describe('authResultsHeader', () => {
  it('folds one entry per line and writes none for no results', () => {
    assert.equal(authResultsHeader('mx.example.org', ['spf=pass smtp.mailfrom=a@b.test', 'dmarc=none']), 'Authentication-Results: mx.example.org;\r\n\tspf=pass smtp.mailfrom=a@b.test;\r\n\tdmarc=none\r\n');
    assert.equal(authResultsHeader('mx.example.org', []), 'Authentication-Results: mx.example.org; none\r\n');
  });
});

describe('stripSpamHeaders', () => {
  it('removes every X-Spam-* field, folded ones included, and nothing else', () => {
    const input = Buffer.from('X-Spam-Flag: NO\r\nX-Spam-Status: No,\r\n\tscore=-5\r\nX-Spamish: keep\r\nSubject: x\r\n\r\nX-Spam-Flag: body\r\n');
    const { data, removed } = stripSpamHeaders(input);
    assert.equal(removed, 2);
    assert.equal(data.toString(), 'X-Spamish: keep\r\nSubject: x\r\n\r\nX-Spam-Flag: body\r\n');
  });
});
