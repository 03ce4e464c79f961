import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';
import type { DialectName } from '../dialect-name.js';

// A literal so SQLite can use the partial index schedules_due (see queue-table.ts).
const ACTIVE = sql<boolean>`status = 'active'`;

export function scheduleQueries(db: Kysely<Database>, dialect: DialectName): Store['schedules'] {
  return {
    async insert(row) {
      await db.insertInto('schedules').values(row).execute();
    },
    get: (appId, id) => db.selectFrom('schedules').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst(),
    list: (appId) => db.selectFrom('schedules').selectAll().where('app_id', '=', appId).orderBy('id').execute(),
    async setStatus(appId, id, status, nextRunAt, now) {
      const r = await db
        .updateTable('schedules')
        .set({ status, next_run_at: nextRunAt, lease_until: null, updated_at: now })
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async remove(appId, id) {
      const r = await db.deleteFrom('schedules').where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async claimDue(now, leaseMs, limit) {
      let due = db
        .selectFrom('schedules')
        .select('id')
        .where(ACTIVE)
        .where('next_run_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .orderBy('next_run_at')
        .limit(limit);
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      return db.updateTable('schedules').set({ lease_until: now + leaseMs }).where('id', 'in', due).returningAll().execute();
    },
    async fired(id, ranAt, nextRunAt, error, now) {
      await db
        .updateTable('schedules')
        .set((eb) => ({ next_run_at: nextRunAt, last_run_at: ranAt, lease_until: null, last_error: error, runs: eb('runs', '+', 1), updated_at: now }))
        .where('id', '=', id)
        .execute();
    },
  };
}
