import { describe, expect, it } from 'vitest';
import { backoffMs, decideRetry } from './retry-policy.js';

const policy = { baseMs: 1000, maxAttempts: 4, capMs: 60_000 };

describe('retry policy', () => {
  it('grows exponentially with jitter between half and the full step', () => {
    expect(backoffMs(policy, 1, undefined, () => 0)).toBe(500);
    expect(backoffMs(policy, 1, undefined, () => 1)).toBe(1000);
    expect(backoffMs(policy, 3, undefined, () => 1)).toBe(4000);
    expect(backoffMs(policy, 30, undefined, () => 1)).toBe(60_000);
  });
  it('never retries sooner than Retry-After', () => {
    expect(backoffMs(policy, 1, 7000, () => 1)).toBe(7000);
  });
  it('fails after the last attempt and expires when the ttl would pass first', () => {
    expect(decideRetry(policy, 4, 0, null)).toEqual({ action: 'fail' });
    expect(decideRetry(policy, 1, 0, 100, undefined, () => 1)).toEqual({ action: 'expire' });
    expect(decideRetry(policy, 1, 0, null, undefined, () => 1)).toEqual({ action: 'retry', delayMs: 1000 });
  });
});
