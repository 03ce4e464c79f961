import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Store } from '../../ports/store.js';
import { chunks } from '../chunks.js';

export function deliveryQueries(db: Kysely<Database>): Store['deliveries'] {
  return {
    async loadForSend(ids) {
      if (ids.length === 0) return [];
      return db.selectFrom('deliveries').selectAll().where('id', 'in', ids).where('status', 'in', ['queued', 'scheduled']).execute();
    },

    async recordOutcomes(outcomes, now) {
      if (outcomes.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (const o of outcomes) {
          // Only a delivery still open is moved: a cancel that won the race keeps its status.
          await trx
            .updateTable('deliveries')
            .set({
              status: o.status,
              provider: o.provider,
              attempts: o.attempts,
              provider_message_id: o.providerMessageId ?? null,
              reason: o.reason ?? null,
              last_error: o.lastError ?? null,
              lease_until: null,
              updated_at: now,
              ...(o.runAt !== undefined ? { run_at: o.runAt } : {}),
            })
            .where('id', '=', o.id)
            .where('status', 'in', ['queued', 'scheduled'])
            .execute();
        }
        for (const part of chunks(outcomes.flatMap((o) => o.events), 500)) {
          await trx.insertInto('events').values(part).execute();
        }
      });
    },

    listDead(appId, limit, before) {
      let q = db.selectFrom('deliveries').selectAll().where('app_id', '=', appId).where('status', '=', 'failed');
      if (before) q = q.where('id', '<', before);
      return q.orderBy('id', 'desc').limit(limit).execute();
    },

    async findForReceipt(by) {
      if (by.id) return db.selectFrom('deliveries').selectAll().where('id', '=', by.id).executeTakeFirst();
      if (!by.providerMessageId) return undefined;
      return db
        .selectFrom('deliveries')
        .selectAll()
        .where('provider_message_id', '=', by.providerMessageId)
        .where('provider', '=', by.provider)
        .executeTakeFirst();
    },

    async applyReceipt(d, change, now) {
      await db.transaction().execute(async (trx) => {
        if (change.status) {
          await trx
            .updateTable('deliveries')
            .set({ status: change.status, reason: change.reason ?? null, updated_at: now })
            .where('id', '=', d.id)
            .where('status', '=', 'sent')
            .execute();
        }
        await trx.insertInto('events').values(change.event).execute();
      });
    },

    async requeue(appId, id, now) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('deliveries')
          .set({ status: 'queued', attempts: 0, reason: null, run_at: now, lease_until: null, updated_at: now })
          .where('app_id', '=', appId)
          .where('id', '=', id)
          .where('status', '=', 'failed')
          .returningAll()
          .executeTakeFirst();
        if (row) {
          await trx
            .insertInto('events')
            .values({ app_id: appId, notification_id: row.notification_id, delivery_id: id, type: 'queued', at: now, data: JSON.stringify({ retry: 'manual' }) })
            .execute();
        }
        return row;
      });
    },
  };
}
