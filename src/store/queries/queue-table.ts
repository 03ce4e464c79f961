import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ChannelQueueStats, Store } from '../../ports/store.js';
import { CHANNELS } from '../../domain/delivery.js';
import type { DialectName } from '../dialect-name.js';

/**
 * The embedded queue is an index over the log: a delivery is claimable while its status is open,
 * its run_at has come and nobody holds a live lease. Claiming writes the lease; nothing else is kept,
 * so the queue cannot lose what the log holds.
 */
// Literals, not bound parameters: SQLite can use a partial index only when the query's WHERE visibly
// implies the index's condition at prepare time, which a `?` never does.
const OPEN = sql<boolean>`status in ('queued', 'scheduled')`;
const DEAD = sql<boolean>`status = 'failed'`;

export function queueTableQueries(db: Kysely<Database>, dialect: DialectName): Store['queueTable'] {
  return {
    async claim(channel, limit, now, leaseMs) {
      let due = db
        .selectFrom('deliveries')
        .select('id')
        .where(OPEN)
        .where('channel', '=', channel)
        .where('run_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .orderBy('priority_rank')
        .orderBy('run_at')
        .limit(limit);
      // Several workers on PostgreSQL: each takes rows nobody else has locked. SQLite has one writer.
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('deliveries')
        // A lease still set means the last claim ended in no outcome: this one takes it up after a lost lease.
        .set({ lease_until: now + leaseMs, relet: sql<number>`case when lease_until is null then 0 else 1 end` })
        .where('id', 'in', due)
        .returning(['id', 'priority_rank', 'run_at'])
        .execute();
      // RETURNING order is unspecified; keep claim order so high priority goes first.
      rows.sort((a, b) => a.priority_rank - b.priority_rank || a.run_at - b.run_at);
      return rows.map((r) => r.id);
    },

    async markRelet(ids) {
      for (let i = 0; i < ids.length; i += 500) await db.updateTable('deliveries').set({ relet: 1 }).where('id', 'in', ids.slice(i, i + 500)).where(OPEN).execute();
    },

    async extend(ids, until) {
      for (let i = 0; i < ids.length; i += 500) {
        await db
          .updateTable('deliveries')
          .set({ lease_until: until })
          .where('id', 'in', ids.slice(i, i + 500))
          .where('lease_until', 'is not', null)
          .where(OPEN)
          .execute();
      }
    },

    async stats(now, appId) {
      const open = await db
        .selectFrom('deliveries')
        .select([
          'channel',
          sql<number>`sum(case when run_at <= ${now} and (lease_until is null or lease_until <= ${now}) then 1 else 0 end)`.as('depth'),
          sql<number | null>`min(case when run_at <= ${now} and (lease_until is null or lease_until <= ${now}) then run_at end)`.as('oldest'),
          sql<number>`sum(case when lease_until > ${now} then 1 else 0 end)`.as('in_flight'),
          sql<number>`sum(case when run_at > ${now} and (lease_until is null or lease_until <= ${now}) then 1 else 0 end)`.as('scheduled'),
        ])
        .where(OPEN)
        .$if(appId !== undefined, (q) => q.where('app_id', '=', appId!))
        .groupBy('channel')
        .execute();
      const dead = await db
        .selectFrom('deliveries')
        .select(['channel', (eb) => eb.fn.countAll<number>().as('n')])
        .where(DEAD)
        .$if(appId !== undefined, (q) => q.where('app_id', '=', appId!))
        .groupBy('channel')
        .execute();
      return CHANNELS.map((channel): ChannelQueueStats => {
        const o = open.find((r) => r.channel === channel);
        const oldest = o?.oldest == null ? null : Number(o.oldest);
        return {
          channel,
          depth: Number(o?.depth ?? 0),
          oldest_age_ms: oldest === null ? 0 : Math.max(0, now - oldest),
          in_flight: Number(o?.in_flight ?? 0),
          scheduled: Number(o?.scheduled ?? 0),
          dead: Number(dead.find((r) => r.channel === channel)?.n ?? 0),
        };
      });
    },

    async nextRunAt(channel, now) {
      // One seek per priority down deliveries_claim (channel, priority_rank, run_at): O(log n) however many
      // are scheduled, skipping only the few rows leased now. A min() over the channel would read them all.
      const first = (rank: number) =>
        db
          .selectFrom('deliveries')
          .select('run_at')
          .where(OPEN)
          .where('channel', '=', channel)
          .where('priority_rank', '=', rank)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
          .orderBy('run_at')
          .limit(1);
      // The three seeks in one statement, as scalar subqueries.
      const r = await db.selectNoFrom([first(0).as('high'), first(1).as('normal'), first(2).as('low')]).executeTakeFirst();
      const times = [r?.high, r?.normal, r?.low].filter((t) => t !== null && t !== undefined).map(Number);
      return times.length ? Math.min(...times) : undefined;
    },
  };
}
