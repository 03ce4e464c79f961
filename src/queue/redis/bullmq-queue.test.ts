import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { queueContract } from '../queue.contract.js';
import { BullMqQueue } from './bullmq-queue.js';
import { createStore } from '../../store/create-store.js';
import { systemClock } from '../../ports/clock.js';
import { insertDeliveries } from '../../../test/helpers/deliveries.js';
import { deletePrefix, redisAvailable, REDIS_URL, uniquePrefix } from '../../../test/helpers/redis.js';

// Under CI=true an absent Redis fails the run instead of skipping.
const available = await redisAvailable();
const PREFIX = uniquePrefix('bullmq-queue');

afterAll(async () => {
  if (available) await deletePrefix(REDIS_URL, PREFIX);
});

describe.skipIf(!available)('BullMQ queue (Redis, with its log on a SQLite file)', () => {
  let n = 0;
  queueContract(async (leaseMs) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-bullmq-'));
    const store = createStore(`sqlite:${path.join(dir, 'herald.db')}`);
    await store.migrate();
    // A prefix per test, so each starts with empty queues.
    const prefix = `${PREFIX}:${++n}`;
    return {
      queue: new BullMqQueue(store, systemClock, { url: REDIS_URL, prefix, leaseMs }),
      store,
      async cleanup() {
        await store.close();
        await deletePrefix(REDIS_URL, prefix);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describe.skipIf(!available)('BullMQ queue shared by several processes', () => {
  it('never hands the same delivery to two of them at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-bullmq-'));
    const store = createStore(`sqlite:${path.join(dir, 'herald.db')}`);
    await store.migrate();
    const prefix = `${PREFIX}:shared`;
    const queues = Array.from({ length: 3 }, () => new BullMqQueue(store, systemClock, { url: REDIS_URL, prefix, leaseMs: 30_000 }));
    try {
      const items = await insertDeliveries(store, Array.from({ length: 300 }, (_, i) => ({ channel: 'push' as const, priority: (['high', 'normal', 'low'] as const)[i % 3] })));
      await queues[0].publish(items);
      const got: string[] = [];
      // Each "process" claims in a loop, concurrently with the others, until the queue is empty.
      await Promise.all(
        queues.map(async (q) => {
          for (let ids = await q.claim('push', 40); ids.length; ids = await q.claim('push', 40)) got.push(...ids);
        }),
      );
      expect(got).toHaveLength(300);
      expect(new Set(got).size).toBe(300);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
