import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';

export function alertQueries(db: Kysely<Database>): Store['alerts'] {
  return {
    async raise(a, event) {
      return db.transaction().execute(async (trx) => {
        // Only the first of many evaluators (processes, ticks) to see the crossing moves the state.
        await trx
          .insertInto('alerts')
          .values({ app_id: a.app_id, key: a.key, state: 'resolved', value: null, threshold: null, raised_at: null, resolved_at: null, updated_at: a.at })
          .onConflict((oc) => oc.columns(['app_id', 'key']).doNothing())
          .execute();
        const moved = await trx
          .updateTable('alerts')
          .set({ state: 'raised', value: a.value, threshold: a.threshold, raised_at: a.at, updated_at: a.at })
          .where('app_id', '=', a.app_id)
          .where('key', '=', a.key)
          .where('state', '=', 'resolved')
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) {
          await trx.updateTable('alerts').set({ value: a.value, updated_at: a.at }).where('app_id', '=', a.app_id).where('key', '=', a.key).execute();
          return false;
        }
        await trx.insertInto('events').values(event).execute();
        return true;
      });
    },
    async resolve(a, event) {
      return db.transaction().execute(async (trx) => {
        const moved = await trx
          .updateTable('alerts')
          .set({ state: 'resolved', value: a.value, resolved_at: a.at, updated_at: a.at })
          .where('app_id', '=', a.app_id)
          .where('key', '=', a.key)
          .where('state', '=', 'raised')
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) return false;
        await trx.insertInto('events').values(event).execute();
        return true;
      });
    },
    open: (appId) => db.selectFrom('alerts').selectAll().where('app_id', '=', appId).where('state', '=', 'raised').orderBy('key').execute(),
    async deadSince(appId, since) {
      const r = await db
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', '=', appId)
        .where('status', '=', 'failed')
        .where('updated_at', '>=', since)
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    async appsWithAlertSettings() {
      return db.selectFrom('apps').select(['id', 'settings']).where('settings', 'like', '%"alerts"%').execute();
    },
  };
}
