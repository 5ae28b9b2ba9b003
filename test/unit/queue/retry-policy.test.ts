import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayWarningDue, isExpired, nextAttemptAt, retryDelay, retryPolicyFromConfig } from '../../../src/queue/retry-policy.js';

const policy = retryPolicyFromConfig({ retry_initial: 300, retry_max: 14_400, max_lifetime: 5 * 86_400, delay_warning: 4 * 3600 });

test('backoff starts at retry_initial and doubles per attempt', () => {
  assert.equal(retryDelay(policy, 0), 300_000);
  assert.equal(retryDelay(policy, 1), 600_000);
  assert.equal(retryDelay(policy, 2), 1_200_000);
  assert.equal(retryDelay(policy, 4), 4_800_000);
});

test('backoff is capped at retry_max, even after very many attempts', () => {
  assert.equal(retryDelay(policy, 6), 14_400_000);
  assert.equal(retryDelay(policy, 1000), 14_400_000);
});

test('the next attempt never lies beyond the end of the lifetime', () => {
  const created = new Date('2025-01-01T00:00:00Z');
  const now = new Date(created.getTime() + 5 * 86_400_000 - 60_000);
  assert.equal(nextAttemptAt(policy, created, 10, now).getTime(), created.getTime() + 5 * 86_400_000);
  const early = new Date(created.getTime() + 1000);
  assert.equal(nextAttemptAt(policy, created, 0, early).getTime(), early.getTime() + 300_000);
});

test('a message expires exactly at max_lifetime', () => {
  const created = new Date('2025-01-01T00:00:00Z');
  assert.equal(isExpired(policy, created, new Date(created.getTime() + 5 * 86_400_000 - 1)), false);
  assert.equal(isExpired(policy, created, new Date(created.getTime() + 5 * 86_400_000)), true);
});

test('a delay warning is due once, after delay_warning, and never when disabled', () => {
  const created = new Date('2025-01-01T00:00:00Z');
  const later = new Date(created.getTime() + 4 * 3600_000);
  assert.equal(delayWarningDue(policy, created, false, new Date(later.getTime() - 1)), false);
  assert.equal(delayWarningDue(policy, created, false, later), true);
  assert.equal(delayWarningDue(policy, created, true, later), false);
  assert.equal(delayWarningDue({ ...policy, delayWarningMs: 0 }, created, false, later), false);
});
