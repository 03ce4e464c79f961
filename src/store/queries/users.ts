import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';
import { chunks } from '../chunks.js';

export function userQueries(db: Kysely<Database>): Store['users'] {
  return {
    async upsert(user) {
      const { incarnation, ...row } = user;
      const { app_id, id, created_at, preferences, ...rest } = row;
      return db
        .insertInto('users')
        .values(row)
        .onConflict((oc) => oc.columns(['app_id', 'id']).doUpdateSet(rest))
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async update(user) {
      const { app_id, id, created_at, preferences, incarnation, ...rest } = user;
      return db.updateTable('users').set(rest).where('app_id', '=', app_id).where('id', '=', id).returningAll().executeTakeFirst();
    },
    get: (appId, id) =>
      db.selectFrom('users').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst(),
    async getMany(appId, ids) {
      const out = [];
      for (const part of chunks([...new Set(ids)], 500)) {
        out.push(...(await db.selectFrom('users').selectAll().where('app_id', '=', appId).where('id', 'in', part).execute()));
      }
      return out;
    },
    async list(appId, q) {
      let query = db.selectFrom('users').selectAll().where('app_id', '=', appId);
      // substr, not LIKE: LIKE ignores case in SQLite but not in PostgreSQL, and would read % and _ in ids.
      // Not `id >= prefix` either: under a linguistic collation that range is not guaranteed to hold the prefix.
      if (q.prefix) query = query.where(sql<string>`substr(${sql.ref('id')}, 1, ${sql.lit(q.prefix.length)})`, '=', q.prefix);
      if (q.after !== undefined) query = query.where('id', '>', q.after);
      return query.orderBy('id').limit(q.limit).execute();
    },
    async insertMany(users) {
      for (const part of chunks(users.map(({ incarnation, ...row }) => row), 300)) {
        await db.insertInto('users').values(part).onConflict((oc) => oc.columns(['app_id', 'id']).doNothing()).execute();
      }
    },
    async incarnation(appId, id, fresh) {
      // Set once, by whichever issue comes first; a concurrent one then reads the winner's value.
      await db.updateTable('users').set({ incarnation: fresh }).where('app_id', '=', appId).where('id', '=', id).where('incarnation', 'is', null).execute();
      const r = await db.selectFrom('users').select('incarnation').where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
      return r?.incarnation ?? undefined;
    },
    async setPreferences(appId, id, preferences, now) {
      const r = await db
        .updateTable('users')
        .set({ preferences, updated_at: now })
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async erase(appId, id) {
      return db.transaction().execute(async (trx) => {
        const r = await trx.deleteFrom('users').where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
        if (Number(r.numDeletedRows) === 0) return false;
        await trx.deleteFrom('devices').where('app_id', '=', appId).where('user_id', '=', id).execute();
        await trx.deleteFrom('topic_subscriptions').where('app_id', '=', appId).where('user_id', '=', id).execute();
        // The log keeps that something was sent, not to whom or what.
        await trx
          .updateTable('deliveries')
          .set({ to_addr: 'erased', content: null })
          .where('app_id', '=', appId)
          .where('user_id', '=', id)
          .execute();
        return true;
      });
    },
  };
}
