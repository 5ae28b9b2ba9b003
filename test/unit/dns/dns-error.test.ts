import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsError, isNoRecordsDnsError, isTemporaryDnsError, toDnsError } from '../../../src/dns/dns-error.js';

function nodeError(code: string): Error {
  return Object.assign(new Error(`query ${code}`), { code });
}

test('NXDOMAIN and no-data keep their node:dns codes and are final', () => {
  for (const code of ['ENOTFOUND', 'ENODATA'] as const) {
    const e = toDnsError(nodeError(code), 'example.com', 'MX');
    assert.ok(e instanceof DnsError);
    assert.equal(e.code, code);
    assert.equal(e.temporary, false);
    assert.ok(!isTemporaryDnsError(e));
    assert.ok(isNoRecordsDnsError(e));
  }
});

test('timeouts, SERVFAIL and refused connections are temporary', () => {
  for (const code of ['ETIMEOUT', 'ESERVFAIL', 'ECONNREFUSED', 'EREFUSED', 'EBADRESP']) {
    const e = toDnsError(nodeError(code), 'example.com', 'A');
    assert.equal(e.code, code);
    assert.ok(isTemporaryDnsError(e), code);
    assert.ok(!isNoRecordsDnsError(e), code);
  }
});

test('an unknown failure becomes a temporary EOTHER that keeps the cause', () => {
  const cause = new Error('boom');
  const e = toDnsError(cause, 'example.com', 'TXT');
  assert.equal(e.code, 'EOTHER');
  assert.equal(e.cause, cause);
  assert.ok(isTemporaryDnsError(e));
  assert.equal(e.message, 'DNS TXT lookup for example.com failed: EOTHER');
});

test('an invalid name is a final answer, not a temporary one', () => {
  const e = toDnsError(nodeError('EINVAL'), 'not-an-ip', 'PTR');
  assert.equal(e.code, 'EBADNAME');
  assert.ok(!isTemporaryDnsError(e));
});

test('raw node:dns errors are classified without wrapping', () => {
  assert.ok(isTemporaryDnsError(nodeError('ETIMEOUT')));
  assert.ok(!isTemporaryDnsError(nodeError('ENOTFOUND')));
  assert.ok(!isTemporaryDnsError(new Error('no code')));
});
