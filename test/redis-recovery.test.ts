import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { eventually, startTestHerald } from './helpers/herald.js';
import { postgresAvailable } from './helpers/postgres.js';
import { deletePrefix, redisAvailable, uniquePrefix } from './helpers/redis.js';

// A Redis database of its own, so the FLUSHDB below touches no other test's keys.
const REDIS_URL = 'redis://127.0.0.1:6379/5';
const TOTAL = 1000;
const BATCH = 100;
const TERMINAL = ['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];

// Under CI=true an absent Redis or PostgreSQL fails the run instead of skipping.
const available = (await redisAvailable(REDIS_URL)) && (await postgresAvailable());

/**
 * No loss when Redis loses its data: a Herald on PostgreSQL + BullMQ accepts notifications while
 * its Redis database is flushed mid-run. Every accepted delivery must still end terminal, each sent
 * one with a provider call (the sandbox appends every call to <data dir>/sandbox-outbox.jsonl):
 * the sweeper re-publishes from the log what Redis no longer holds.
 */
describe.skipIf(!available)('Redis flushed mid-run', () => {
  it('loses nothing that was accepted', async () => {
    const prefix = uniquePrefix('recovery');
    const t = await startTestHerald('postgres', {
      HERALD_QUEUE_URL: REDIS_URL,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_LEASE_MS: '1000',
    });
    const db = new pg.Client({ connectionString: t.herald.config.databaseUrl });
    await db.connect();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const accepted = new Map<string, string[]>(); // notification id -> delivery ids
      let openAtFlush = -1;
      let next = 0;
      const sendBatch = async (b: number) => {
        const notifications = Array.from({ length: BATCH }, (_, i) => ({
          event_id: `redis-${b}-${i}`,
          to: { email: `user${b * BATCH + i}@example.com` },
          content: { email: { subject: 'redis recovery', text: `message ${b}/${i}` } },
          priority: (['high', 'normal', 'low'] as const)[i % 3],
        }));
        const res = await t.api('POST', '/v1/notifications/batch', { notifications });
        expect(res.status).toBeLessThan(300);
        for (const r of res.body.results as { id: string; deliveries: { id: string }[] }[]) accepted.set(r.id, r.deliveries.map((d) => d.id));
      };
      // Four clients; Redis is flushed once half the notifications were accepted, while the rest are
      // still arriving and earlier ones wait in Redis or are in flight.
      const client = async () => {
        while (next < TOTAL / BATCH) {
          await sendBatch(next++);
          if (openAtFlush < 0 && accepted.size >= TOTAL / 2) {
            openAtFlush = 0;
            const { rows } = await db.query(`select count(*)::int n from deliveries where status in ('queued', 'scheduled')`);
            await redis.flushdb();
            openAtFlush = rows[0].n;
          }
        }
      };
      await Promise.all([client(), client(), client(), client()]);
      expect(accepted.size).toBe(TOTAL);

      const deliveryIds = [...accepted.values()].flat();
      const statusOf = async () => {
        const { rows } = await db.query<{ id: string; status: string }>('select id, status from deliveries where id = any($1)', [deliveryIds]);
        return new Map(rows.map((r) => [r.id, r.status]));
      };
      const started = Date.now();
      let statuses = new Map<string, string>();
      try {
        await eventually(
          async () => {
            statuses = await statusOf();
            return deliveryIds.every((id) => TERMINAL.includes(statuses.get(id) ?? 'missing'));
          },
          60_000,
          250,
        );
      } finally {
        expect(deliveryIds.filter((id) => !statuses.has(id))).toEqual([]);
      }

      const calls = new Map<string, number>();
      const outbox = path.join(t.dataDir, 'sandbox-outbox.jsonl');
      expect(existsSync(outbox)).toBe(true);
      for (const line of readFileSync(outbox, 'utf8').split('\n')) {
        if (!line) continue;
        const id = (JSON.parse(line) as { deliveryId: string }).deliveryId;
        calls.set(id, (calls.get(id) ?? 0) + 1);
      }
      const sentWithoutCall = deliveryIds.filter((id) => ['sent', 'delivered'].includes(statuses.get(id)!) && !calls.get(id));
      const duplicates = deliveryIds.reduce((n, id) => n + Math.max(0, (calls.get(id) ?? 0) - 1), 0);
      const byStatus: Record<string, number> = {};
      for (const s of statuses.values()) byStatus[s] = (byStatus[s] ?? 0) + 1;
      console.log(
        `redis recovery: ${accepted.size} notifications accepted, ${deliveryIds.length} deliveries; ${openAtFlush} open in the log when Redis was flushed; ` +
          `all terminal ${Date.now() - started} ms after the last accept; statuses ${JSON.stringify(byStatus)}; ` +
          `provider calls missing: ${sentWithoutCall.length}; duplicates: ${duplicates}`,
      );
      expect(sentWithoutCall).toEqual([]);
      expect(byStatus.sent ?? 0).toBe(deliveryIds.length);
    } finally {
      await db.end();
      await t.stop();
      await deletePrefix(REDIS_URL, prefix);
      redis.disconnect();
    }
  }, 120_000);
});
