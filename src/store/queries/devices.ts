import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';
import { chunks } from '../chunks.js';

export function deviceQueries(db: Kysely<Database>): Store['devices'] {
  return {
    async register(device) {
      return db
        .insertInto('devices')
        .values(device)
        .onConflict((oc) =>
          oc.columns(['app_id', 'platform', 'token']).doUpdateSet({
            user_id: device.user_id,
            subscription: device.subscription,
            active: 1,
            deactivated_reason: null,
            updated_at: device.updated_at,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    listForUser: (appId, userId) =>
      db
        .selectFrom('devices')
        .selectAll()
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .execute(),
    async activeForUsers(appId, userIds) {
      const out = [];
      for (const part of chunks([...new Set(userIds)], 500)) {
        out.push(
          ...(await db
            .selectFrom('devices')
            .selectAll()
            .where('app_id', '=', appId)
            .where('user_id', 'in', part)
            .where('active', '=', 1)
            .orderBy('created_at')
            .execute()),
        );
      }
      return out;
    },
    async remove(appId, userId, deviceId) {
      const r = await db
        .deleteFrom('devices')
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .where('id', '=', deviceId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async deactivate(id, reason, now) {
      await db.updateTable('devices').set({ active: 0, deactivated_reason: reason, updated_at: now }).where('id', '=', id).execute();
    },
  };
}
