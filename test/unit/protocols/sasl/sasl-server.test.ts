import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSaslServer, parseSaslMechanism, supportedMechanisms, MAX_RESPONSE_BASE64 } from '../../../../src/protocols/sasl/sasl-server.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

test('supported mechanisms are PLAIN and LOGIN', () => {
  assert.deepEqual([...supportedMechanisms], ['PLAIN', 'LOGIN']);
  assert.equal(parseSaslMechanism('plain'), 'PLAIN');
  assert.equal(parseSaslMechanism('CRAM-MD5'), null);
});

test('PLAIN with an initial response completes at start', () => {
  const s = createSaslServer('PLAIN', b64('\0bob@example.org\0s3cret pw'));
  assert.deepEqual(s.start(), { kind: 'done', authzid: '', login: 'bob@example.org', password: 's3cret pw' });
});

test('PLAIN without an initial response sends an empty challenge, then completes', () => {
  const s = createSaslServer('PLAIN');
  assert.deepEqual(s.start(), { kind: 'challenge', data: '' });
  assert.deepEqual(s.step(b64('bob\0bob\0pw')), { kind: 'done', authzid: 'bob', login: 'bob', password: 'pw' });
});

test('PLAIN refuses an authorization identity other than the login', () => {
  const r = createSaslServer('PLAIN', b64('admin\0bob\0pw')).start();
  assert.equal(r.kind, 'error');
});

test('PLAIN refuses malformed messages: missing NULs, empty login or password, bad UTF-8', () => {
  for (const raw of [Buffer.from('bobpw'), Buffer.from('\0bob'), Buffer.from('\0\0pw'), Buffer.from('\0bob\0'), Buffer.from([0, 0xff, 0xfe, 0, 0x41])]) {
    const r = createSaslServer('PLAIN', raw.toString('base64')).start();
    assert.equal(r.kind, 'error', raw.toString('hex'));
  }
});

test('PLAIN with the empty initial response "=" asks again (nothing to decode yet is an error)', () => {
  const r = createSaslServer('PLAIN', '=').start();
  assert.equal(r.kind, 'error');
});

test('invalid base64 is an error', () => {
  const s = createSaslServer('PLAIN');
  s.start();
  assert.equal(s.step('not base64!').kind, 'error');
  assert.equal(createSaslServer('PLAIN', 'abc').start().kind, 'error');
});

test('"*" and null cancel the exchange', () => {
  for (const cancel of ['*', null]) {
    const s = createSaslServer('LOGIN');
    s.start();
    const r = s.step(cancel);
    assert.equal(r.kind, 'error');
    assert.equal(r.kind === 'error' && r.cancelled, true);
  }
});

test('over-long responses are refused', () => {
  const s = createSaslServer('PLAIN');
  s.start();
  assert.equal(s.step('A'.repeat(MAX_RESPONSE_BASE64 + 4)).kind, 'error');
  const big = createSaslServer('PLAIN', b64(`\0bob\0${'x'.repeat(2000)}`)).start();
  assert.equal(big.kind, 'error');
});

test('LOGIN asks Username: then Password:', () => {
  const s = createSaslServer('LOGIN');
  assert.deepEqual(s.start(), { kind: 'challenge', data: b64('Username:') });
  assert.deepEqual(s.step(b64('bob@example.org')), { kind: 'challenge', data: b64('Password:') });
  assert.deepEqual(s.step(b64('pw')), { kind: 'done', authzid: '', login: 'bob@example.org', password: 'pw' });
});

test('LOGIN takes the user name as initial response', () => {
  const s = createSaslServer('LOGIN', b64('bob'));
  assert.deepEqual(s.start(), { kind: 'challenge', data: b64('Password:') });
  assert.equal(s.step(b64('pw')).kind, 'done');
});

test('LOGIN refuses an empty password', () => {
  const s = createSaslServer('LOGIN');
  s.start();
  s.step(b64('bob'));
  assert.equal(s.step('').kind, 'error');
});

test('no step is accepted after the exchange finished', () => {
  const s = createSaslServer('PLAIN', b64('\0a\0b'));
  assert.equal(s.start().kind, 'done');
  assert.equal(s.step(b64('\0a\0b')).kind, 'error');
});
