import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** Whether Redis answers; under CI=true its absence is a failure, not a skip. */
export async function redisAvailable(url = REDIS_URL): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`Redis is required under CI=true and did not answer at ${url}: ${(err as Error).message}`);
    return false;
  } finally {
    r.disconnect();
  }
}

/** A key prefix no other test file or run uses. */
export function uniquePrefix(name: string): string {
  return `herald-test-${name}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under the prefix (what a test left in Redis, or a simulated loss of it). */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  let n = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
  return n;
}
