import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { DeliveryOutcome, Store } from '../../ports/store.js';
import { chunks } from '../chunks.js';
import { insertRows } from '../bulk-insert.js';
import type { DialectName } from '../dialect-name.js';

export function deliveryQueries(db: Kysely<Database>, dialect: DialectName): Store['deliveries'] {
  return {
    async loadForSend(ids) {
      if (ids.length === 0) return [];
      return db.selectFrom('deliveries').selectAll().where('id', 'in', ids).where('status', 'in', ['queued', 'scheduled']).execute();
    },

    async recordOutcomes(outcomes, now) {
      if (outcomes.length === 0) return;
      const write = (conn: Kysely<Database>) => conn.transaction().execute(async (trx) => {
        // PostgreSQL: one UPDATE per page of outcomes, since a statement per row cost a round trip and a
        // plan each (the workers' largest cost on PostgreSQL in the scaled bench). SQLite: one prepared
        // UPDATE per row, in process and cheap; there the joined form lets the planner walk every open
        // delivery through deliveries_claim and probe the list, O(backlog) per batch.
        if (dialect === 'postgres') {
          for (const part of chunks(outcomes, OUTCOMES_PER_STATEMENT)) await outcomeUpdate(part, now).execute(trx);
        } else {
          for (const o of outcomes) await outcomeRowUpdate(trx, o, now).execute();
        }
        await insertRows(trx, dialect, 'events', outcomes.flatMap((o) => o.events));
      });
      if (dialect === 'postgres') return void (await write(db));
      // SQLite: outcomes commit without an fsync (WAL with synchronous=NORMAL is durable across a process
      // crash; only a power loss can roll back its last commits, and then a delivery is sent again: at least
      // once still holds). Group commits come every ~10 ms, and an fsync each on the event loop halved the
      // all-in-one throughput (1,478 vs 2,125 delivered/s with 50 ms groups). Accepts (the 202) stay FULL: the
      // pragma is set back within the same reserved connection, so no other transaction runs in between.
      await db.connection().execute(async (conn) => {
        await sql`pragma synchronous = NORMAL`.execute(conn);
        try {
          await write(conn);
        } finally {
          await sql`pragma synchronous = FULL`.execute(conn);
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

// 8 parameters a row: 200 rows stay far below PostgreSQL's limit on bound parameters.
const OUTCOMES_PER_STATEMENT = 200;

/** One outcome; only a delivery still open is moved (a cancel that won the race keeps its status). */
function outcomeRowUpdate(db: Kysely<Database>, o: DeliveryOutcome, now: number) {
  return db
    .updateTable('deliveries')
    .set({
      status: o.status,
      provider: o.provider,
      attempts: o.attempts,
      provider_message_id: o.providerMessageId ?? null,
      reason: o.reason ?? null,
      last_error: o.lastError ?? null,
      lease_until: null,
      relet: 0,
      updated_at: now,
      ...(o.runAt !== undefined ? { run_at: o.runAt } : {}),
    })
    .where('id', '=', o.id)
    .where('status', 'in', ['queued', 'scheduled']);
}

/**
 * The outcomes as a VALUES list joined to deliveries (UPDATE … FROM). The casts type the VALUES
 * columns, which PostgreSQL would otherwise read as text. Only a delivery still open is moved: a
 * cancel that won the race keeps its status.
 */
function outcomeUpdate(outcomes: DeliveryOutcome[], now: number) {
  const rows = outcomes.map(
    (o) =>
      sql`(cast(${o.id} as text), cast(${o.status} as text), cast(${o.provider} as text), cast(${o.attempts} as integer), cast(${o.providerMessageId ?? null} as text), cast(${o.reason ?? null} as text), cast(${o.lastError ?? null} as text), cast(${o.runAt ?? null} as bigint))`,
  );
  return sql`with v (id, status, provider, attempts, provider_message_id, reason, last_error, run_at) as (values ${sql.join(rows)})
update deliveries set status = v.status, provider = v.provider, attempts = v.attempts, provider_message_id = v.provider_message_id,
  reason = v.reason, last_error = v.last_error, lease_until = null, relet = 0, updated_at = ${now}, run_at = coalesce(v.run_at, deliveries.run_at)
from v where deliveries.id = v.id and deliveries.status in ('queued', 'scheduled')`;
}
