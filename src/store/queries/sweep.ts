import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';
import type { Channel } from '../../domain/delivery.js';

// Literals, not bound parameters, so SQLite can use the partial indexes deliveries_claim and
// deliveries_dead (see queue-table.ts).
const OPEN = sql<boolean>`status in ('queued', 'scheduled')`;
const DEAD = sql<boolean>`status = 'failed'`;

/**
 * The log's side of a queue kept in Redis. openDue walks deliveries_claim (channel, priority_rank,
 * run_at) as a range: each page starts where the last one ended, so a sweep over a large backlog
 * reads every open row once instead of sorting the whole backlog for every page.
 */
export function sweepQueries(db: Kysely<Database>): Store['sweep'] {
  return {
    async openDue({ channel, priorityRank, before, after, limit }) {
      let q = db
        .selectFrom('deliveries')
        .select(['id', 'run_at'])
        .where(OPEN)
        .where('channel', '=', channel)
        .where('priority_rank', '=', priorityRank)
        .where('run_at', '<=', before);
      // run_at >= the cursor's bounds the index range; the OR breaks ties between equal run_at by id.
      if (after) q = q.where('run_at', '>=', after.run_at).where((eb) => eb.or([eb('run_at', '>', after.run_at), eb('id', '>', after.id)]));
      const rows = await q.orderBy('run_at').orderBy('id').limit(limit).execute();
      return rows.map((r) => ({ id: r.id, run_at: Number(r.run_at) }));
    },

    async openAmong(ids, appId) {
      if (ids.length === 0) return [];
      let q = db.selectFrom('deliveries').select('id').where('id', 'in', ids).where(OPEN);
      if (appId !== undefined) q = q.where('app_id', '=', appId);
      const rows = await q.execute();
      return rows.map((r) => r.id);
    },

    async deadByChannel() {
      const rows = await db
        .selectFrom('deliveries')
        .select(['channel', (eb) => eb.fn.countAll<number>().as('n')])
        .where(DEAD)
        .groupBy('channel')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.channel as Channel, Number(r.n)]));
    },
  };
}
