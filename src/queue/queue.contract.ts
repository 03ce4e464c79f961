import { afterEach, beforeEach, expect, it } from 'vitest';
import { CHANNELS, type Channel } from '../domain/delivery.js';
import type { Queue, QueueItem } from '../ports/queue.js';
import type { Store } from '../ports/store.js';
import { insertDeliveries, type DeliverySpec } from '../../test/helpers/deliveries.js';

export interface QueueFixture {
  queue: Queue;
  /** The log the queue's deliveries live in (the embedded queue is that log; BullMQ checks it). */
  store: Store;
  cleanup(): Promise<void>;
}

/**
 * The suite every Queue implementation passes (run by embedded/embedded-queue.test.ts and
 * redis/bullmq-queue.test.ts). Real time, not a fake clock: BullMQ's delays and locks run on Redis.
 * `make` gets the lease to use, short so a lease running out takes well under a second.
 */
export function queueContract(make: (leaseMs: number) => Promise<QueueFixture>): void {
  const LEASE_MS = 600;
  let f: QueueFixture;

  beforeEach(async () => {
    f = await make(LEASE_MS);
  });
  afterEach(async () => {
    await f?.queue.close();
    await f?.cleanup();
  });

  const publish = async (specs: DeliverySpec[]): Promise<string[]> => {
    const items = await insertDeliveries(f.store, specs);
    await f.queue.publish(items);
    return items.map((i) => i.deliveryId);
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const sorted = (ids: string[]) => [...ids].sort();
  /** Claims until something comes back or the time runs out; returns what came and when. */
  const claimEventually = async (channel: Channel, timeoutMs: number): Promise<{ ids: string[]; at: number }> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const ids = await f.queue.claim(channel, 10);
      if (ids.length || Date.now() > end) return { ids, at: Date.now() };
      await sleep(25);
    }
  };
  /** The worker's outcome write: the delivery leaves the open statuses (or, for a retry, gets its next run_at). */
  const record = (item: QueueItem, status: 'sent' | 'failed' | 'queued', runAt?: number) =>
    f.store.deliveries.recordOutcomes([{ id: item.deliveryId, status, provider: 'sendgrid', attempts: 1, runAt, events: [] }], Date.now());

  it('hands out what was published to its channel, once', async () => {
    const ids = await publish([{}, {}, {}]);
    expect(await f.queue.claim('sms', 10)).toEqual([]);
    expect(sorted(await f.queue.claim('email', 10))).toEqual(sorted(ids));
    expect(await f.queue.claim('email', 10)).toEqual([]);
  });

  it('claims at most `limit` ids', async () => {
    const ids = await publish([{}, {}, {}, {}, {}]);
    const first = await f.queue.claim('email', 2);
    const rest = await f.queue.claim('email', 10);
    expect(first).toHaveLength(2);
    expect(sorted([...first, ...rest])).toEqual(sorted(ids));
  });

  it('never hands out normal or low while high is due, nor low while normal is', async () => {
    const low = await publish([{ channel: 'push', priority: 'low' }, { channel: 'push', priority: 'low' }, { channel: 'push', priority: 'low' }]);
    const normal = await publish([{ channel: 'push' }, { channel: 'push' }, { channel: 'push' }]);
    const high = await publish([{ channel: 'push', priority: 'high' }, { channel: 'push', priority: 'high' }, { channel: 'push', priority: 'high' }]);
    const a = await f.queue.claim('push', 4);
    expect(sorted(a.slice(0, 3))).toEqual(sorted(high));
    expect(normal).toContain(a[3]);
    const b = await f.queue.claim('push', 10);
    expect(sorted(b.slice(0, 2))).toEqual(sorted(normal.filter((id) => id !== a[3])));
    expect(sorted(b.slice(2))).toEqual(sorted(low));
  });

  it('does not hand out a delayed item before its time', async () => {
    const start = Date.now();
    const [id] = await publish([{ runAt: start + 700 }]);
    expect(await f.queue.claim('email', 10)).toEqual([]);
    const got = await claimEventually('email', 5000);
    expect(got.ids).toEqual([id]);
    expect(got.at - start).toBeGreaterThanOrEqual(650);
  });

  it('keeps a claimed item from others while its lease holds, and hands it out again after', async () => {
    const [id] = await publish([{}]);
    expect(await f.queue.claim('email', 10)).toEqual([id]);
    const claimedAt = Date.now();
    await sleep(LEASE_MS / 3);
    expect(await f.queue.claim('email', 10)).toEqual([]);
    const again = await claimEventually('email', 5000);
    expect(again.ids).toEqual([id]);
    expect(again.at - claimedAt).toBeGreaterThanOrEqual(LEASE_MS - 50);
  });

  it('marks a delivery taken up after a lease that ran out, and only then', async () => {
    const [id] = await publish([{}]);
    expect(await f.queue.claim('email', 10)).toEqual([id]);
    expect((await f.store.deliveries.loadForSend([id]))[0].relet ?? 0).toBe(0);
    const again = await claimEventually('email', 5000);
    expect(again.ids).toEqual([id]);
    expect((await f.store.deliveries.loadForSend([id]))[0].relet).toBe(1);
  });

  it('keeps an extended lease from others for as long as its holder extends it', async () => {
    const [id] = await publish([{}]);
    expect(await f.queue.claim('email', 10)).toEqual([id]);
    // Three lease periods, extended every third of one: never handed out to anyone else.
    for (let t = 0; t < 9; t++) {
      await sleep(LEASE_MS / 3);
      await f.queue.extend('email', [id]);
      expect(await f.queue.claim('email', 10)).toEqual([]);
    }
    // Once its holder stops extending, it comes back after a lease.
    const again = await claimEventually('email', LEASE_MS * 4);
    expect(again.ids).toEqual([id]);
  });

  it('does not hand out again what was recorded and acked', async () => {
    const [item] = await insertDeliveries(f.store, [{}]);
    await f.queue.publish([item]);
    expect(await f.queue.claim('email', 10)).toEqual([item.deliveryId]);
    await record(item, 'sent');
    await f.queue.ack('email', [item.deliveryId]);
    const email = (await f.queue.stats()).find((s) => s.channel === 'email')!;
    expect(email.in_flight).toBe(0);
    await sleep(LEASE_MS * 2.5);
    expect(await f.queue.claim('email', 10)).toEqual([]);
  });

  it('takes a retry republished by its holder at its new time', async () => {
    const [item] = await insertDeliveries(f.store, [{}]);
    await f.queue.publish([item]);
    expect(await f.queue.claim('email', 10)).toEqual([item.deliveryId]);
    const retryAt = Date.now() + 500;
    await record(item, 'queued', retryAt);
    await f.queue.publish([{ ...item, runAt: retryAt }]);
    expect(await f.queue.claim('email', 10)).toEqual([]);
    const got = await claimEventually('email', 5000);
    expect(got.ids).toEqual([item.deliveryId]);
    expect(got.at).toBeGreaterThanOrEqual(retryAt - 50);
  });

  it('reports depth, age, in flight, scheduled and dead per channel', async () => {
    await publish([{ channel: 'push', runAt: Date.now() - 1000 }, { channel: 'push' }, { channel: 'push', runAt: Date.now() + 60_000 }]);
    await insertDeliveries(f.store, [{ channel: 'sms', status: 'failed' }]);
    let stats = await f.queue.stats();
    expect(stats.map((s) => s.channel).sort()).toEqual([...CHANNELS].sort());
    for (const s of stats) {
      for (const k of ['depth', 'oldest_age_ms', 'in_flight', 'scheduled', 'dead'] as const) expect(Number.isInteger(s[k]) && s[k] >= 0).toBe(true);
    }
    const push = stats.find((s) => s.channel === 'push')!;
    expect(push).toMatchObject({ depth: 2, in_flight: 0, scheduled: 1, dead: 0 });
    expect(push.oldest_age_ms).toBeGreaterThanOrEqual(0);
    expect(stats.find((s) => s.channel === 'sms')).toMatchObject({ depth: 0, dead: 1 });
    expect(stats.find((s) => s.channel === 'email')).toMatchObject({ depth: 0, oldest_age_ms: 0, in_flight: 0, scheduled: 0, dead: 0 });

    expect(await f.queue.claim('push', 1)).toHaveLength(1);
    stats = await f.queue.stats();
    expect(stats.find((s) => s.channel === 'push')).toMatchObject({ depth: 1, in_flight: 1, scheduled: 1 });
  });

  it("reports one app's figures alone when asked for that app", async () => {
    await publish([{ channel: 'push', appId: 'app-a' }, { channel: 'push', appId: 'app-a', runAt: Date.now() + 60_000 }, { channel: 'push', appId: 'app-b' }]);
    await insertDeliveries(f.store, [{ channel: 'sms', status: 'failed', appId: 'app-b' }]);
    expect(await f.queue.claim('push', 10)).toHaveLength(2);
    const a = await f.queue.stats('app-a');
    expect(a.find((s) => s.channel === 'push')).toMatchObject({ depth: 0, in_flight: 1, scheduled: 1, dead: 0 });
    expect(a.find((s) => s.channel === 'sms')).toMatchObject({ depth: 0, dead: 0 });
    const b = await f.queue.stats('app-b');
    expect(b.find((s) => s.channel === 'push')).toMatchObject({ depth: 0, in_flight: 1, scheduled: 0 });
    expect(b.find((s) => s.channel === 'sms')).toMatchObject({ dead: 1 });
    expect((await f.queue.stats('app-c')).every((s) => s.depth + s.in_flight + s.scheduled + s.dead === 0)).toBe(true);
    // Without an app: the installation's figures (the operator's /metrics).
    expect((await f.queue.stats()).find((s) => s.channel === 'push')).toMatchObject({ in_flight: 2, scheduled: 1 });
  });

  it('wakes a waiting worker when work is published, and otherwise waits out maxWait', async () => {
    let t = Date.now();
    await f.queue.waitForWork('sms', 150);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    t = Date.now();
    const waiting = f.queue.waitForWork('sms', 10_000);
    await publish([{ channel: 'sms' }]);
    await waiting;
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('answers ping', async () => {
    await expect(f.queue.ping()).resolves.toBeUndefined();
  });
}
