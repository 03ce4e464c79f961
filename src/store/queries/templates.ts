import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';

export function templateQueries(db: Kysely<Database>): Store['templates'] {
  const latestQuery = (appId: string) =>
    db
      .selectFrom('templates as t')
      .selectAll()
      .where('t.app_id', '=', appId)
      .where('t.deleted', '=', 0)
      .where((eb) =>
        eb(
          't.version',
          '=',
          eb
            .selectFrom('templates as t2')
            .select((e2) => e2.fn.max('t2.version').as('v'))
            .whereRef('t2.app_id', '=', 't.app_id')
            .whereRef('t2.key', '=', 't.key'),
        ),
      );
  return {
    async put(t) {
      // The version number is taken inside the transaction; a concurrent PUT of the same key
      // fails on the primary key rather than overwriting a version.
      return db.transaction().execute(async (trx) => {
        const prev = await trx
          .selectFrom('templates')
          .select((eb) => eb.fn.max('version').as('v'))
          .where('app_id', '=', t.app_id)
          .where('key', '=', t.key)
          .executeTakeFirst();
        const version = Number(prev?.v ?? 0) + 1;
        const row = { ...t, version, deleted: 0 };
        await trx.insertInto('templates').values(row).execute();
        return row;
      });
    },
    latest: (appId, key) => latestQuery(appId).where('t.key', '=', key).executeTakeFirst(),
    latestMany: (appId, keys) => (keys.length ? latestQuery(appId).where('t.key', 'in', keys).execute() : Promise.resolve([])),
    list: (appId, q) => {
      const page = latestQuery(appId).orderBy('t.key').limit(q.limit);
      return (q.after ? page.where('t.key', '>', q.after) : page).execute();
    },
    versions: (appId, key) =>
      db.selectFrom('templates').selectAll().where('app_id', '=', appId).where('key', '=', key).orderBy('version', 'desc').execute(),
    async remove(appId, key) {
      const r = await db
        .updateTable('templates')
        .set({ deleted: 1 })
        .where('app_id', '=', appId)
        .where('key', '=', key)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
