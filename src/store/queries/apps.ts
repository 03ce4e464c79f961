import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';

export function appQueries(db: Kysely<Database>): Store['apps'] {
  return {
    async insert(app) {
      await db.insertInto('apps').values(app).execute();
    },
    findByKey: (key) => db.selectFrom('apps').selectAll().where('key', '=', key).executeTakeFirst(),
    findById: (id) => db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst(),
    async ensure(app) {
      await db
        .insertInto('apps')
        .values(app)
        // Only a different secret counts a new generation: restarting with the same one changes nothing.
        .onConflict((oc) =>
          oc
            .column('key')
            .doUpdateSet((eb) => ({ secret_hash: app.secret_hash, secret_generation: eb('apps.secret_generation', '+', 1) }))
            .where('apps.secret_hash', '<>', app.secret_hash),
        )
        .execute();
    },
    async count() {
      const r = await db.selectFrom('apps').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async getSettings(appId) {
      const r = await db.selectFrom('apps').select('settings').where('id', '=', appId).executeTakeFirst();
      return r?.settings;
    },
    async updateSettings(appId, sections) {
      // Compare-and-set on the previous JSON: two concurrent PUTs of different sections both land,
      // on SQLite and PostgreSQL alike, without a dialect-specific row lock.
      for (;;) {
        const r = await db.selectFrom('apps').select('settings').where('id', '=', appId).executeTakeFirst();
        if (!r) return undefined;
        let merged: Record<string, unknown> = {};
        try {
          const prev = JSON.parse(r.settings) as unknown;
          if (prev && typeof prev === 'object' && !Array.isArray(prev)) merged = { ...(prev as Record<string, unknown>) };
        } catch {
          /* an unreadable value is replaced */
        }
        for (const [k, v] of Object.entries(sections)) {
          if (v === null) delete merged[k];
          else if (v !== undefined) merged[k] = v;
        }
        const json = JSON.stringify(merged);
        const u = await db.updateTable('apps').set({ settings: json }).where('id', '=', appId).where('settings', '=', r.settings).executeTakeFirst();
        if (Number(u.numUpdatedRows) > 0) return json;
      }
    },
  };
}
