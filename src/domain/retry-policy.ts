export interface RetryPolicy {
  baseMs: number;
  maxAttempts: number;
  /** Upper bound for one backoff step. */
  capMs: number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failed (attempt counts from 1): exponential,
 * with "equal jitter" (half fixed, half random) so a burst of failures does not retry in lockstep,
 * and never sooner than the provider asked for with Retry-After.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}

export type RetryDecision = { action: 'retry'; delayMs: number } | { action: 'fail' } | { action: 'expire' };

/** What to do after a transient failure: retry later, give up (dead letter), or expire because the ttl would pass first. */
export function decideRetry(
  policy: RetryPolicy,
  attempt: number,
  now: number,
  expiresAt: number | null,
  retryAfterMs?: number,
  random?: () => number,
): RetryDecision {
  if (attempt >= policy.maxAttempts) return { action: 'fail' };
  const delayMs = backoffMs(policy, attempt, retryAfterMs, random);
  if (expiresAt !== null && now + delayMs >= expiresAt) return { action: 'expire' };
  return { action: 'retry', delayMs };
}
