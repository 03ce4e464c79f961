import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';

export function appQueries(db: Kysely<Database>): Store['apps'] {
  return {
    async insert(app) {
      await db.insertInto('apps').values(app).execute();
    },
    findByKey: (key) => db.selectFrom('apps').selectAll().where('key', '=', key).executeTakeFirst(),
    async ensure(app) {
      await db
        .insertInto('apps')
        .values(app)
        .onConflict((oc) => oc.column('key').doUpdateSet({ secret_hash: app.secret_hash }))
        .execute();
    },
    async count() {
      const r = await db.selectFrom('apps').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
