import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BullMqQueue } from './bullmq-queue.js';
import { Sweeper } from './sweeper.js';
import { createStore } from '../../store/create-store.js';
import { createLogger } from '../../logger.js';
import { systemClock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { insertDeliveries } from '../../../test/helpers/deliveries.js';
import { deletePrefix, redisAvailable, REDIS_URL, uniquePrefix } from '../../../test/helpers/redis.js';

const available = await redisAvailable();
const PREFIX = uniquePrefix('sweeper');
const LEASE_MS = 600;

describe.skipIf(!available)('sweeper (BullMQ on Redis, log on a SQLite file)', () => {
  let dir: string;
  let store: Store;
  let queue: BullMqQueue;
  let prefix: string;
  let n = 0;
  const log = createLogger('silent');
  const sweeper = (graceMs = 0, pageSize = 500) => new Sweeper(queue, store, systemClock, log, { intervalMs: 200, graceMs, pageSize });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'herald-sweeper-'));
    store = createStore(`sqlite:${path.join(dir, 'herald.db')}`);
    await store.migrate();
    prefix = `${PREFIX}:${++n}`;
    queue = new BullMqQueue(store, systemClock, { url: REDIS_URL, prefix, leaseMs: LEASE_MS });
  });
  afterEach(async () => {
    await queue.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await deletePrefix(REDIS_URL, PREFIX);
  });

  it('re-publishes open deliveries Redis lost, and nothing it still holds', async () => {
    const past = Date.now() - 5000;
    const items = await insertDeliveries(store, [
      { channel: 'push', priority: 'high', runAt: past },
      { channel: 'sms', runAt: past },
      { channel: 'email', priority: 'low', runAt: past },
      { channel: 'email', runAt: past, status: 'sent' },
    ]);
    await queue.publish(items.slice(0, 3));
    expect(await sweeper().sweepOnce()).toBe(0);

    await deletePrefix(REDIS_URL, prefix); // Redis loses everything
    expect(await sweeper().sweepOnce()).toBe(3); // the sent one is not open: left alone
    expect(await queue.claim('push', 10)).toEqual([items[0].deliveryId]);
    expect(await queue.claim('sms', 10)).toEqual([items[1].deliveryId]);
    expect(await queue.claim('email', 10)).toEqual([items[2].deliveryId]);
    expect(await sweeper().sweepOnce()).toBe(0); // claimed (active) is held, not lost
  });

  it('leaves deliveries inside their grace period alone, and pages through many', async () => {
    const past = Date.now() - 5000;
    await insertDeliveries(store, [{ runAt: Date.now() }]);
    const many = await insertDeliveries(store, Array.from({ length: 25 }, () => ({ runAt: past })));
    expect(await sweeper(2000, 7).sweepOnce()).toBe(25);
    const claimed = await queue.claim('email', 100);
    expect(claimed.sort()).toEqual(many.map((i) => i.deliveryId).sort());
  });

  it('completes a claimed duplicate whose delivery the log already closed', async () => {
    const [item] = await insertDeliveries(store, [{ runAt: Date.now() - 5000 }]);
    await queue.publish([item]);
    await store.deliveries.recordOutcomes([{ id: item.deliveryId, status: 'sent', provider: 'sendgrid', attempts: 1, events: [] }], Date.now());
    expect(await queue.claim('email', 10)).toEqual([]);
    const email = (await queue.stats()).find((s) => s.channel === 'email')!;
    expect(email).toMatchObject({ depth: 0, in_flight: 0 });
  });

  it('lets one process sweep per interval', async () => {
    const other = new BullMqQueue(store, systemClock, { url: REDIS_URL, prefix, leaseMs: LEASE_MS });
    try {
      const got = await Promise.all([queue.tryLock('sweeper', 300), other.tryLock('sweeper', 300), queue.tryLock('sweeper', 300)]);
      expect(got.filter(Boolean)).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 350));
      expect(await other.tryLock('sweeper', 300)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('runs in the background until stopped', async () => {
    const [item] = await insertDeliveries(store, [{ channel: 'sms', runAt: Date.now() - 5000 }]);
    const s = sweeper();
    s.start();
    try {
      const end = Date.now() + 3000;
      let got: string[] = [];
      while (got.length === 0 && Date.now() < end) {
        got = await queue.claim('sms', 10);
        if (!got.length) await new Promise((r) => setTimeout(r, 50));
      }
      expect(got).toEqual([item.deliveryId]);
    } finally {
      await s.stop();
    }
  });
});
