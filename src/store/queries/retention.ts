import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { PruneCursor, Store } from '../../ports/store.js';
import { TERMINAL_STATUSES } from '../../domain/delivery.js';

const TERMINAL = [...TERMINAL_STATUSES];

/**
 * The retention job's deletes (worker/retention-job.ts). Every call removes at most `limit` rows in one
 * short statement, so a first pass over years of log never holds SQLite's single writer, or a
 * PostgreSQL transaction, for long. Events go by age alone; deliveries and notifications by age and
 * only once nothing can still happen to them. Rows are walked in (created_at, id) order after a
 * cursor, so an old delivery that is still open (scheduled a year ahead) is stepped over once per
 * pass instead of read again by every batch.
 */
export function retentionQueries(db: Kysely<Database>): Store['retention'] {
  return {
    appsAfter(afterId, limit) {
      let q = db.selectFrom('apps').select(['id', 'settings']).orderBy('id').limit(limit);
      if (afterId !== null) q = q.where('id', '>', afterId);
      return q.execute();
    },

    async pruneEvents(appId, before, limit) {
      // Oldest first through events_app_at (migration 006); a subquery because SQLite has no DELETE … LIMIT.
      const batch = db.selectFrom('events').select('id').where('app_id', '=', appId).where('at', '<', before).orderBy('at').limit(limit);
      const r = await db.deleteFrom('events').where('id', 'in', batch).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async pruneDeliveries(appId, before, after, limit) {
      const page = await db
        .selectFrom('deliveries')
        .select(['id', 'created_at'])
        .where('app_id', '=', appId)
        .where('created_at', '<', before)
        // (created_at, id) > cursor, spelt so both databases range-scan the (app_id, created_at) index.
        .$if(after !== null, (qb) => qb.where('created_at', '>=', after!.created_at).where((eb) => eb.or([eb('created_at', '>', after!.created_at), eb('id', '>', after!.id)])))
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      if (page.length === 0) return { deleted: 0, next: null };
      // The status is checked again by the DELETE itself: a dead letter retried meanwhile is open again and stays.
      const r = await db
        .deleteFrom('deliveries')
        .where('id', 'in', page.map((d) => d.id))
        .where('status', 'in', TERMINAL)
        .executeTakeFirst();
      return { deleted: Number(r.numDeletedRows), next: cursorOf(page) };
    },

    async pruneNotifications(appId, before, after, limit) {
      const page = await db
        .selectFrom('notifications')
        .select(['id', 'created_at'])
        .where('app_id', '=', appId)
        .where('created_at', '<', before)
        // (created_at, id) > cursor, spelt so both databases range-scan the (app_id, created_at) index.
        .$if(after !== null, (qb) => qb.where('created_at', '>=', after!.created_at).where((eb) => eb.or([eb('created_at', '>', after!.created_at), eb('id', '>', after!.id)])))
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      if (page.length === 0) return { deleted: 0, next: null };
      const deleted = await db.transaction().execute(async (trx) => {
        // Only a notification none of whose deliveries is left (the open ones were kept above), and
        // never one whose topic fan-out is still writing deliveries.
        const gone = await trx
          .deleteFrom('notifications as n')
          .where('n.id', 'in', page.map((p) => p.id))
          .where((eb) => eb.not(eb.exists(eb.selectFrom('deliveries as d').select(sql.lit(1).as('one')).whereRef('d.notification_id', '=', 'n.id'))))
          .where((eb) => eb.not(eb.exists(eb.selectFrom('fanouts as f').select(sql.lit(1).as('one')).whereRef('f.id', '=', 'n.id').where('f.status', '=', 'running'))))
          // Unqualified: SQLite's RETURNING does not see the table's alias.
          .returning('id')
          .execute();
        if (gone.length) await trx.deleteFrom('fanouts').where('id', 'in', gone.map((g) => g.id)).execute();
        return gone.length;
      });
      return { deleted, next: cursorOf(page) };
    },
  };
}

type Paged = { created_at: number; id: string };

function cursorOf(page: Paged[]): PruneCursor {
  const last = page[page.length - 1];
  return { created_at: Number(last.created_at), id: last.id };
}

/** Named leases (job_leases, migration 006): one holder at a time across every process on the database. */
export function jobLeaseQueries(db: Kysely<Database>): Store['jobLeases'] {
  return {
    async claim(name, owner, now, until) {
      // The upsert's WHERE decides under the row's lock: of two claimers only one sees the old lease run out.
      const r = await db
        .insertInto('job_leases')
        .values({ name, owner, lease_until: until })
        .onConflict((oc) => oc.column('name').doUpdateSet({ owner, lease_until: until }).where('job_leases.lease_until', '<=', now))
        .returning('name')
        .executeTakeFirst();
      return r !== undefined;
    },
    async extend(name, owner, until) {
      const r = await db.updateTable('job_leases').set({ lease_until: until }).where('name', '=', name).where('owner', '=', owner).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
