import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { FanoutLeaseLost, type Store } from '../../ports/store.js';
import { suppressOverCap } from '../../domain/frequency-caps.js';
import { insertRows } from '../bulk-insert.js';
import type { DialectName } from '../dialect-name.js';
import { claimCaps } from './cap-counters.js';

// A literal, not a bound parameter, so SQLite can use the partial index fanouts_running.
const RUNNING = sql<boolean>`status = 'running'`;

export function fanoutQueries(db: Kysely<Database>, dialect: DialectName): Store['fanouts'] {
  return {
    get: (appId, id) => db.selectFrom('fanouts').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst(),

    async claim(now, leaseMs, owner) {
      let pick = db
        .selectFrom('fanouts')
        .select('id')
        .where(RUNNING)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .orderBy('created_at')
        .limit(1);
      if (dialect === 'postgres') pick = pick.forUpdate().skipLocked();
      // The outer conditions are checked again on the row itself: of two processes that picked the
      // same fan-out, only the first update matches (PostgreSQL re-reads a row it waited for).
      return db
        .updateTable('fanouts')
        .set({ lease_owner: owner, lease_until: now + leaseMs, updated_at: now })
        .where('id', 'in', pick)
        .where(RUNNING)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .returningAll()
        .executeTakeFirst();
    },

    async commitPage(p) {
      return db.transaction().execute(async (trx) => {
        // The lease check first: it locks the fan-out row until commit, so a takeover or a cancel
        // waits for this page or wins before it, never in between.
        const held = await trx
          .updateTable('fanouts')
          .set({
            cursor: p.cursor,
            pages: sql<number>`pages + ${p.users > 0 ? 1 : 0}`,
            users: sql<number>`users + ${p.users}`,
            skipped: sql<number>`skipped + ${p.skipped}`,
            deliveries: sql<number>`deliveries + ${p.deliveries.length}`,
            updated_at: p.now,
            ...(p.done ? { status: 'done', finished_at: p.now, lease_owner: null, lease_until: null } : { lease_until: p.leaseUntil }),
          })
          .where('id', '=', p.fanoutId)
          .where('lease_owner', '=', p.owner)
          .where(RUNNING)
          .returning('id')
          .executeTakeFirst();
        if (!held) throw new FanoutLeaseLost();
        const over = await claimCaps(trx, dialect, p.caps);
        const { deliveries, events } = suppressOverCap(p.deliveries, p.events, over);
        await insertRows(trx, dialect, 'deliveries', deliveries);
        await insertRows(trx, dialect, 'events', events);
        const suppressed = deliveries.filter((d) => d.status === 'suppressed').length;
        if (suppressed) {
          await trx.updateTable('fanouts').set({ suppressed: sql<number>`suppressed + ${suppressed}` }).where('id', '=', p.fanoutId).execute();
        }
        return over;
      });
    },

    async release(id, owner) {
      await db.updateTable('fanouts').set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
    },

    async cancel(appId, id, now) {
      const r = await db
        .updateTable('fanouts')
        .set({ status: 'cancelled', finished_at: now, updated_at: now, lease_owner: null, lease_until: null })
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .where(RUNNING)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async statusCounts(notificationId) {
      const rows = await db
        .selectFrom('deliveries')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('notification_id', '=', notificationId)
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}
