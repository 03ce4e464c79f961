import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { FAILED_AUTH_LIMIT, FailedAuthLimiter, RefusedCredentials, clientAddress } from './auth-failures.js';

const T0 = 1_800_000_000_000;
const request = (ip: string, authorization?: string) => ({ ip, headers: authorization ? { authorization } : {} }) as unknown as FastifyRequest;
const refuse = async () => {
  throw new RefusedCredentials('wrong', 'Basic');
};
const accept = async () => {};

async function outcome(p: Promise<void>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as ApiError).status;
  }
}

describe('failed authentications per client address', () => {
  it('answers 429 with Retry-After once an address failed 20 times within a minute, and only until the oldest failure is a minute old', async () => {
    let t = T0;
    const limiter = new FailedAuthLimiter({ now: () => t });
    const check = limiter.guard(refuse);
    for (let i = 0; i < 20; i++) {
      expect(await outcome(check(request('203.0.113.7', 'Basic eDp5')))).toBe(401);
      t += 1000;
    }
    // The 21st attempt is not even checked: right credentials would get the same answer.
    let refused: ApiError | undefined;
    await limiter.guard(accept)(request('203.0.113.7', 'Basic eDp5')).catch((e: ApiError) => (refused = e));
    expect(refused?.status).toBe(429);
    expect(refused?.toJSON()).toMatchObject({ error: { code: 'rate_limited' } });
    // The first failure was at T0, now is T0 + 20 s: 40 s until it leaves the window.
    expect(refused?.headers).toEqual({ 'retry-after': '40' });
    // Another address is not affected.
    expect(await outcome(limiter.guard(accept)(request('203.0.113.8', 'Basic eDp5')))).toBe(200);
    // A window that slides: once the oldest failure is a minute old, one more attempt may be made.
    t = T0 + 60_000;
    expect(await outcome(check(request('203.0.113.7', 'Basic eDp5')))).toBe(401);
    expect(await outcome(check(request('203.0.113.7', 'Basic eDp5')))).toBe(429);
    t = T0 + 60_000 + 20 * 1000;
    expect(await outcome(limiter.guard(accept)(request('203.0.113.7', 'Basic eDp5')))).toBe(200);
  });

  it('counts neither successes nor requests without credentials nor other refusals, and a success resets nothing', async () => {
    const limiter = new FailedAuthLimiter({ now: () => T0 });
    for (let i = 0; i < 50; i++) await limiter.guard(accept)(request('198.51.100.1', 'Basic eDp5'));
    const missing = limiter.guard(async () => {
      throw new ApiError(401, 'unauthorized', 'credentials required');
    });
    const stale = limiter.guard(async () => {
      throw new ApiError(401, 'unauthorized', 'the user token is expired');
    });
    for (let i = 0; i < 50; i++) expect(await outcome(missing(request('198.51.100.1')))).toBe(401);
    for (let i = 0; i < 50; i++) expect(await outcome(stale(request('198.51.100.1', 'Bearer genuine.but.expired')))).toBe(401);
    expect(limiter.retryAfterS('198.51.100.1')).toBe(0);
    // 19 failures, a success, then the 20th: the success did not reset the count.
    for (let i = 0; i < 19; i++) await outcome(limiter.guard(refuse)(request('198.51.100.1', 'Basic eDp5')));
    await limiter.guard(accept)(request('198.51.100.1', 'Basic eDp5'));
    await outcome(limiter.guard(refuse)(request('198.51.100.1', 'Basic eDp5')));
    expect(await outcome(limiter.guard(accept)(request('198.51.100.1', 'Basic eDp5')))).toBe(429);
    // Requests without credentials are still answered by the authenticator (401, not 429).
    expect(await outcome(missing(request('198.51.100.1')))).toBe(401);
  });

  it('keeps at most maxAddresses and at most `limit` times per address, forgetting the stalest first', () => {
    let t = T0;
    const limiter = new FailedAuthLimiter({ now: () => t }, { ...FAILED_AUTH_LIMIT, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) {
      limiter.record(`10.0.${i >> 8}.${i & 255}`);
      t += 1;
    }
    expect(limiter.size).toBe(100);
    // The newest are kept; the oldest went.
    limiter.record('10.0.3.231');
    expect(limiter.size).toBe(100);
    for (let i = 0; i < 500; i++) limiter.record('192.0.2.1');
    expect(limiter.retryAfterS('192.0.2.1')).toBeGreaterThan(0);
    expect((limiter as unknown as { failures: Map<string, number[]> }).failures.get('192.0.2.1')).toHaveLength(20);
    // A minute later every entry is stale and goes at the next record.
    t += 60_000;
    limiter.record('192.0.2.2');
    expect(limiter.size).toBe(1);
  });

  it('counts an IPv4 address as it is (mapped into IPv6 too) and an IPv6 address by its /64', () => {
    expect(clientAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:DB8:0001:0002::ffff')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddress('::1')).toBe('0:0:0:0::/64');
    expect(clientAddress('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
