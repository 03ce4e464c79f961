import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { IdempotencyRace, type DeliveryWithEvents, type Store } from '../../ports/store.js';
import { chunks, isUniqueViolation } from '../chunks.js';
import { insertRows } from '../bulk-insert.js';
import type { DialectName } from '../dialect-name.js';
import { cappedBundle, claimCaps } from './cap-counters.js';

const OPEN_STATUSES = ['queued', 'scheduled'];

export function notificationQueries(db: Kysely<Database>, dialect: DialectName): Store['notifications'] {
  return {
    async findByIdempotencyKeys(appId, keys) {
      if (keys.length === 0) return [];
      const out = [];
      for (const part of chunks([...new Set(keys)], 500)) {
        out.push(
          ...(await db
            .selectFrom('notifications')
            .selectAll()
            .where('app_id', '=', appId)
            .where('idempotency_key', 'in', part)
            .execute()),
        );
      }
      return out;
    },

    async insert(given) {
      if (given.length === 0) return new Set<string>();
      try {
        return await db.transaction().execute(async (trx) => {
          // Caps first, so the rows below are written already decided (and undone with them on a rollback).
          const over = await claimCaps(trx, dialect, given.flatMap((b) => b.caps ?? []));
          const bundles = given.map((b) => cappedBundle(b, over));
          await insertRows(trx, dialect, 'notifications', bundles.map((b) => b.notification));
          await insertRows(trx, dialect, 'deliveries', bundles.flatMap((b) => b.deliveries));
          await insertRows(trx, dialect, 'events', bundles.flatMap((b) => b.events));
          const fanouts = bundles.flatMap((b) => (b.fanout ? [b.fanout] : []));
          for (const part of chunks(fanouts, 200)) await trx.insertInto('fanouts').values(part).execute();
          return over;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new IdempotencyRace();
        throw err;
      }
    },

    async get(appId, id, opts = {}) {
      const notification = await db
        .selectFrom('notifications')
        .selectAll()
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!notification) return undefined;
      let dq = db.selectFrom('deliveries').selectAll().where('notification_id', '=', id).orderBy('id');
      if (opts.deliveryLimit !== undefined) dq = dq.limit(opts.deliveryLimit);
      const deliveries = await dq.execute();
      const events = [];
      // With a limit, only those deliveries' events (a fan-out's full timeline can be millions of rows).
      const eventScopes = opts.deliveryLimit === undefined ? [undefined] : chunks(deliveries.map((d) => d.id), 500);
      for (const ids of eventScopes) {
        let eq = db.selectFrom('events').selectAll().where('notification_id', '=', id);
        if (ids) eq = eq.where('delivery_id', 'in', ids);
        events.push(...(await eq.orderBy('id').execute()));
      }
      if (eventScopes.length > 1) events.sort((a, b) => a.id - b.id);
      const byDelivery = new Map<string, DeliveryWithEvents>(deliveries.map((d) => [d.id, { ...d, events: [] }]));
      for (const e of events) if (e.delivery_id) byDelivery.get(e.delivery_id)?.events.push(e);
      return { notification, deliveries: [...byDelivery.values()] };
    },

    async list(appId, f) {
      let q = db.selectFrom('notifications as n').selectAll('n').where('n.app_id', '=', appId);
      if (f.template) q = q.where('n.template', '=', f.template);
      if (f.since !== undefined) q = q.where('n.created_at', '>=', f.since);
      if (f.before) q = q.where('n.id', '<', f.before);
      if (f.userId) {
        const userId = f.userId;
        q = q.where((eb) =>
          eb.or([
            eb('n.user_id', '=', userId),
            eb.exists(
              eb
                .selectFrom('deliveries as d')
                .select('d.id')
                .whereRef('d.notification_id', '=', 'n.id')
                .where('d.app_id', '=', appId)
                .where('d.user_id', '=', userId),
            ),
          ]),
        );
      }
      if (f.status) {
        const status = f.status;
        q = q.where((eb) =>
          eb.exists(eb.selectFrom('deliveries as d').select('d.id').whereRef('d.notification_id', '=', 'n.id').where('d.status', '=', status)),
        );
      }
      return q.orderBy('n.id', 'desc').limit(f.limit).execute();
    },

    async cancel(appId, id, now) {
      return db.transaction().execute(async (trx) => {
        const n = await trx.selectFrom('notifications').select('id').where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
        if (!n) return undefined;
        const cancelled = await trx
          .updateTable('deliveries')
          .set({ status: 'cancelled', updated_at: now, lease_until: null })
          .where('notification_id', '=', id)
          .where('status', 'in', OPEN_STATUSES)
          .returning('id')
          .execute();
        // In chunks: a fan-out's notification can have more deliveries than one statement takes parameters.
        for (const part of chunks(cancelled, 500)) {
          await trx
            .insertInto('events')
            .values(part.map((d) => ({ app_id: appId, notification_id: id, delivery_id: d.id, type: 'cancelled', at: now, data: null })))
            .execute();
        }
        return cancelled.length;
      });
    },
  };
}
