import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePtr, PtrCheck, ptrVerdict } from '../../../src/antispam/ptr-check.js';
import type { IprevResult } from '../../../src/dns/iprev.js';
import type { ClientInfo } from '../../../src/pipeline/types.js';

const pass = (name: string): IprevResult => ({ status: 'pass', names: [name], confirmed: name });

describe('decidePtr', () => {
  test('require passes a forward-confirmed name whatever the sender', () => {
    assert.deepEqual(decidePtr('require', pass('mail.a.example'), 'b.example'), { kind: 'pass', name: 'mail.a.example' });
  });
  test('no PTR is permerror, an unconfirmed one fail, a lookup failure temperror', () => {
    assert.equal((decidePtr('require', { status: 'none', names: [], confirmed: null }, null) as { iprev: string }).iprev, 'permerror');
    assert.equal((decidePtr('require', { status: 'fail', names: ['x'], confirmed: null }, null) as { iprev: string }).iprev, 'fail');
    assert.equal((decidePtr('match', { status: 'temperror', names: [], confirmed: null }, 'a.example') as { iprev: string }).iprev, 'temperror');
  });
  test('match compares registered domains', () => {
    assert.equal(decidePtr('match', pass('mx1.mail.example.co.uk'), 'news.example.co.uk').kind, 'pass');
    assert.equal(decidePtr('match', pass('mx1.example.co.uk'), 'other.co.uk').kind, 'fail');
    assert.equal(decidePtr('match', pass('mx1.example.co.uk'), null).kind, 'pass', 'the null sender has no domain to compare');
  });
});

describe('ptrVerdict', () => {
  test('reject: 550 5.7.25 for failures, 451 4.7.25 for a DNS timeout', () => {
    const fail = ptrVerdict({ kind: 'fail', iprev: 'fail', reason: 'r' }, 'reject', 'mx.example.org', '192.0.2.1');
    assert.ok(fail.kind === 'reject' && fail.error.code === 550 && fail.error.enhanced === '5.7.25' && !fail.error.temporary);
    const temp = ptrVerdict({ kind: 'fail', iprev: 'temperror', reason: 'r' }, 'reject', 'mx.example.org', '192.0.2.1');
    assert.ok(temp.kind === 'reject' && temp.error.code === 451 && temp.error.enhanced === '4.7.25' && temp.error.temporary);
  });
  test('tag: an Authentication-Results iprev entry, never a silent pass', () => {
    const v = ptrVerdict({ kind: 'fail', iprev: 'temperror', reason: 'timeout' }, 'tag', 'mx.example.org', '192.0.2.1');
    assert.deepEqual(v, { kind: 'tag', header: 'Authentication-Results: mx.example.org;\r\n\tiprev=temperror (timeout) policy.iprev=192.0.2.1\r\n' });
    assert.equal(ptrVerdict({ kind: 'pass', name: 'a' }, 'reject', 'mx', '192.0.2.1').kind, 'accept');
  });
});

describe('PtrCheck', () => {
  test('looks the client up once per session and records the confirmed name', async () => {
    let lookups = 0;
    const check = new PtrCheck({
      mode: 'require',
      action: 'reject',
      authservId: 'mx.example.org',
      lookup: async () => {
        lookups++;
        return pass('mail.a.example');
      },
    });
    const client: ClientInfo = { ip: '192.0.2.7', helo: 'a' };
    await check.connect(client);
    assert.equal((await check.mailFrom(client, 'x@a.example')).kind, 'accept');
    assert.equal((await check.mailFrom(client, 'y@a.example')).kind, 'accept');
    assert.equal(lookups, 1);
    assert.equal(client.ptrName, 'mail.a.example');
  });
});
