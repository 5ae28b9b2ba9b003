import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { receivedHeader, receivedProtocol } from '../../../../../src/protocols/smtp/server/trace.js';

describe('Received on submission', () => {
  it('says ESMTPSA / ESMTPA (RFC 3848) and names the login, never anything else of the credentials', () => {
    assert.equal(receivedProtocol({ kind: 'submission', extended: true, secure: true, authenticated: true, smtputf8: false }), 'ESMTPSA');
    assert.equal(receivedProtocol({ kind: 'submission', extended: true, secure: false, authenticated: true, smtputf8: false }), 'ESMTPA');
    const h = receivedHeader({
      kind: 'submission',
      extended: true,
      secure: true,
      authenticated: true,
      smtputf8: false,
      authenticatedAs: 'ivanov@example.org',
      client: { ip: '192.0.2.1', helo: 'laptop' },
      hostname: 'mx.example.org',
      id: 'abc',
      recipient: null,
      date: new Date(0),
    });
    assert.match(h, /\(Authenticated sender: ivanov@example\.org\)/);
    assert.match(h, /with ESMTPSA/);
  });

  it('adds no authentication comment for unauthenticated sessions', () => {
    const h = receivedHeader({ kind: 'smtp', extended: true, secure: false, authenticated: false, smtputf8: false, client: { ip: '192.0.2.1', helo: 'x' }, hostname: 'mx', id: 'a', recipient: null, date: new Date(0) });
    assert.doesNotMatch(h, /Authenticated/);
  });
});
