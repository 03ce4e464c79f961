import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';

export function providerQueries(db: Kysely<Database>): Store['providers'] {
  return {
    async upsert(row) {
      await db
        .insertInto('providers')
        .values(row)
        .onConflict((oc) => oc.columns(['app_id', 'name']).doUpdateSet({ config_enc: row.config_enc, priority: row.priority, enabled: row.enabled, updated_at: row.updated_at }))
        .execute();
    },
    list: (appId) => db.selectFrom('providers').selectAll().where('app_id', '=', appId).orderBy('priority').orderBy('name').execute(),
    async remove(appId, name) {
      const r = await db.deleteFrom('providers').where('app_id', '=', appId).where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
