/**
 * Retry arithmetic of the outbound queue (Postfix qmgr semantics): exponential backoff starting at
 * `retry_initial` and doubling per attempt up to `retry_max`; a message older than `max_lifetime` is given
 * up (RFC 5321 §4.5.4.1: at least 4-5 days); a delay warning once its age reaches `delay_warning`.
 *
 * Pure functions; times in milliseconds.
 */

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  lifetimeMs: number;
  /** 0 disables delay warnings. */
  delayWarningMs: number;
}

/** Delay after the attempt numbered `attempts` (0 for the first attempt): initial · 2^attempts, capped at max. */
export function retryDelay(policy: RetryPolicy, attempts: number): number {
  const exp = Math.min(Math.max(attempts, 0), 52);
  return Math.min(policy.initialMs * 2 ** exp, policy.maxMs);
}

/** When to try next, never past the end of the message's lifetime (a final attempt happens at expiry). */
export function nextAttemptAt(policy: RetryPolicy, createdAt: Date, attempts: number, now: Date): Date {
  const next = now.getTime() + retryDelay(policy, attempts);
  const expiry = createdAt.getTime() + policy.lifetimeMs;
  return new Date(Math.max(now.getTime(), Math.min(next, expiry)));
}

/** True once the message has been in the queue for `lifetimeMs` or longer. */
export function isExpired(policy: RetryPolicy, createdAt: Date, now: Date): boolean {
  return now.getTime() - createdAt.getTime() >= policy.lifetimeMs;
}

/** True when a delay warning is due: enabled, not sent yet, and the message is old enough. */
export function delayWarningDue(policy: RetryPolicy, createdAt: Date, warned: boolean, now: Date): boolean {
  return policy.delayWarningMs > 0 && !warned && now.getTime() - createdAt.getTime() >= policy.delayWarningMs;
}

/** The policy of a config's [queue] table (seconds there). */
export function retryPolicyFromConfig(q: {
  retry_initial: number;
  retry_max: number;
  max_lifetime: number;
  delay_warning: number;
}): RetryPolicy {
  return {
    initialMs: q.retry_initial * 1000,
    maxMs: q.retry_max * 1000,
    lifetimeMs: q.max_lifetime * 1000,
    delayWarningMs: q.delay_warning * 1000,
  };
}
