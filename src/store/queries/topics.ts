import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';
import { chunks } from '../chunks.js';

export function topicQueries(db: Kysely<Database>): Store['topics'] {
  return {
    async subscribe(row) {
      const r = await db
        .insertInto('topic_subscriptions')
        .values(row)
        .onConflict((oc) => oc.columns(['app_id', 'topic', 'user_id']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async unsubscribe(appId, userId, topic) {
      const r = await db
        .deleteFrom('topic_subscriptions')
        .where('app_id', '=', appId)
        .where('topic', '=', topic)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    listForUser: (appId, userId) =>
      db.selectFrom('topic_subscriptions').selectAll().where('app_id', '=', appId).where('user_id', '=', userId).orderBy('topic').execute(),
    async subscribersAfter(appId, topic, afterUserId, limit) {
      // Keyset paging on the primary key (app_id, topic, user_id): each page is an index range, however deep.
      let q = db.selectFrom('topic_subscriptions').select('user_id').where('app_id', '=', appId).where('topic', '=', topic);
      if (afterUserId !== null) q = q.where('user_id', '>', afterUserId);
      const rows = await q.orderBy('user_id').limit(limit).execute();
      return rows.map((r) => r.user_id);
    },
    async subscribeMany(rows) {
      for (const part of chunks(rows, 500)) {
        await db
          .insertInto('topic_subscriptions')
          .values(part)
          .onConflict((oc) => oc.columns(['app_id', 'topic', 'user_id']).doNothing())
          .execute();
      }
    },
  };
}
