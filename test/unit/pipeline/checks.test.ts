import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailError } from '../../../src/lib/errors.js';
import { runConnectChecks, runRcptChecks } from '../../../src/pipeline/checks.js';
import type { Check, ClientInfo, Envelope } from '../../../src/pipeline/types.js';

const client: ClientInfo = { ip: '192.0.2.1', helo: 'c.example' };
const env: Envelope = { sender: 's@x.example', recipients: [], smtputf8: false, body: '7BIT', client, receivedVia: 'smtp' };

test('accepts when every check accepts or has no hook for the phase', async () => {
  const checks: Check[] = [{ name: 'none' }, { name: 'ok', connect: async () => ({ kind: 'accept' }) }];
  assert.deepEqual(await runConnectChecks(checks, client), { kind: 'accept', headers: [] });
});

test('collects tag headers in check order', async () => {
  const checks: Check[] = [
    { name: 'a', rcpt: async () => ({ kind: 'tag', header: 'X-A: 1\r\n' }) },
    { name: 'b', rcpt: async () => ({ kind: 'tag', header: 'X-B: 2\r\n' }) },
  ];
  assert.deepEqual(await runRcptChecks(checks, { address: 'r@example.org' }, env), {
    kind: 'accept',
    headers: ['X-A: 1\r\n', 'X-B: 2\r\n'],
  });
});

test('stops at the first reject', async () => {
  let laterRan = false;
  const error = new MailError('Go away', { code: 554, enhanced: '5.7.1' });
  const checks: Check[] = [
    { name: 'dnsbl', connect: async () => ({ kind: 'reject', error }) },
    { name: 'later', connect: async () => ((laterRan = true), { kind: 'accept' }) },
  ];
  const out = await runConnectChecks(checks, client);
  assert.deepEqual(out, { kind: 'reject', error, check: 'dnsbl' });
  assert.equal(laterRan, false);
});

test('turns a throwing check into a temporary 451 4.3.0', async () => {
  const checks: Check[] = [{ name: 'broken', connect: async () => { throw new Error('boom'); } }];
  const out = await runConnectChecks(checks, client);
  assert.equal(out.kind, 'reject');
  if (out.kind !== 'reject') return;
  assert.equal(out.error.code, 451);
  assert.equal(out.error.enhanced, '4.3.0');
  assert.equal(out.check, 'broken');
});
