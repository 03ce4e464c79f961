import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import type { Store, TrackingCount } from '../../ports/store.js';

type Counter = 'open_count' | 'click_count';

/**
 * UPDATE … RETURNING gives each request the counter's value after its own increment: the row lock
 * (PostgreSQL) or the single writer (SQLite) orders concurrent requests, so exactly one sees 1 and
 * writes the event.
 */
async function bump(trx: Transaction<Database>, deliveryId: string, column: Counter) {
  return trx
    .updateTable('deliveries')
    .set({ [column]: sql<number>`${sql.ref(column)} + 1` })
    .where('id', '=', deliveryId)
    .returning(['app_id', 'notification_id', sql<number>`${sql.ref(column)}`.as('count')])
    .executeTakeFirst();
}

export function trackingQueries(db: Kysely<Database>): Store['tracking'] {
  async function record(deliveryId: string, column: Counter, type: 'opened' | 'clicked', data: string | null, now: number): Promise<TrackingCount | undefined> {
    return db.transaction().execute(async (trx) => {
      const row = await bump(trx, deliveryId, column);
      if (!row) return undefined;
      const count = Number(row.count);
      if (count === 1) {
        await trx.insertInto('events').values({ app_id: row.app_id, notification_id: row.notification_id, delivery_id: deliveryId, type, at: now, data }).execute();
      }
      return { count, first: count === 1 };
    });
  }

  return {
    recordOpen: (deliveryId, now) => record(deliveryId, 'open_count', 'opened', null, now),
    recordClick: (deliveryId, url, now) => record(deliveryId, 'click_count', 'clicked', JSON.stringify({ url }), now),

    async recordUnsubscribe(appId, deliveryId, data, now) {
      return db.transaction().execute(async (trx) => {
        // A no-op update takes the row lock, so a concurrent second request waits and then sees the first's event.
        const d = await trx
          .updateTable('deliveries')
          .set({ updated_at: sql<number>`updated_at` })
          .where('app_id', '=', appId)
          .where('id', '=', deliveryId)
          .returning(['notification_id'])
          .executeTakeFirst();
        if (!d) return false;
        const seen = await trx
          .selectFrom('events')
          .select('id')
          .where('notification_id', '=', d.notification_id)
          .where('delivery_id', '=', deliveryId)
          .where('type', '=', 'unsubscribed')
          .executeTakeFirst();
        if (!seen) {
          await trx
            .insertInto('events')
            .values({ app_id: appId, notification_id: d.notification_id, delivery_id: deliveryId, type: 'unsubscribed', at: now, data: JSON.stringify(data) })
            .execute();
        }
        return true;
      });
    },
  };
}
