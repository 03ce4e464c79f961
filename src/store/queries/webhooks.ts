import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { DialectName } from '../dialect-name.js';
import { newId } from '../../domain/ids.js';
import type { OutboxEvent, WebhookStore } from '../../ports/webhook-store.js';

// PostgreSQL: only transactions older than every running one are final (see ports/webhook-store.ts).
const SETTLED = sql<boolean>`e.txid < pg_snapshot_xmin(pg_current_snapshot())`;

export function webhookQueries(db: Kysely<Database>, dialect: DialectName): WebhookStore {
  const pg = dialect === 'postgres';

  /** Whether the webhook's app has an event after its cursor (in the claim, `webhooks` is the outer row). */
  const pending = pg
    ? sql<boolean>`exists (select 1 from events e where e.app_id = webhooks.app_id and (e.txid, e.id) > (webhooks.cursor_txid, webhooks.cursor_id) and ${SETTLED})`
    : sql<boolean>`exists (select 1 from events e where e.app_id = webhooks.app_id and e.id > webhooks.cursor_id)`;

  const free = (now: number) => (eb: ExpressionBuilder<Database, 'webhooks'>) =>
    eb.and([
      eb('enabled', '=', 1),
      eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]),
      eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]),
    ]);

  return {
    async put(c, now) {
      const uid = newId();
      // The end of the app's log now: SQLite's ids are in commit order, so after the app's own last event
      // nothing of its can come but later ids — the same events as after the log's last id, without putting
      // the installation's event count into the row (SPEC §11). On PostgreSQL every transaction from the
      // oldest still running on is after the cursor, so nothing committing around this call is skipped.
      const start = pg
        ? { cursor_id: 0, cursor_txid: sql<string>`pg_snapshot_xmin(pg_current_snapshot())` }
        : { cursor_id: sql<number>`(select coalesce(max(id), 0) from events where app_id = ${c.app_id})`, cursor_txid: null };
      const row = await db
        .insertInto('webhooks')
        .values({ uid, ...c, ...start, lease_owner: null, lease_until: null, next_attempt_at: null, failures: 0, last_error: null, last_attempt_at: null, last_success_at: null, created_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.columns(['app_id', 'id']).doUpdateSet({ url: c.url, events: c.events, secret_enc: c.secret_enc, enabled: c.enabled, next_attempt_at: null, failures: 0, updated_at: now }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return { row, created: row.uid === uid };
    },

    get(appId, id) {
      return db.selectFrom('webhooks').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
    },

    list(appId) {
      return db.selectFrom('webhooks').selectAll().where('app_id', '=', appId).orderBy('id').execute();
    },

    async remove(appId, id) {
      return db.transaction().execute(async (trx) => {
        const gone = await trx.deleteFrom('webhooks').where('app_id', '=', appId).where('id', '=', id).returning('uid').executeTakeFirst();
        if (!gone) return false;
        await trx.deleteFrom('webhook_attempts').where('webhook_uid', '=', gone.uid).execute();
        return true;
      });
    },

    async claim(now, leaseMs, owner, limit) {
      // Read first, so an idle poll writes nothing (on SQLite an UPDATE takes the write lock even when it
      // matches no row). The update checks the same conditions on each row again: of two processes that
      // picked the same webhook, only the first matches (PostgreSQL re-reads a row it waited for).
      const due = await db.selectFrom('webhooks').select('uid').where(free(now)).where(pending).orderBy('next_attempt_at').limit(limit).execute();
      if (due.length === 0) return [];
      return db
        .updateTable('webhooks')
        .set({ lease_owner: owner, lease_until: now + leaseMs })
        .where('uid', 'in', due.map((d) => d.uid))
        .where(free(now))
        .returningAll()
        .execute();
    },

    async eventsAfter(appId, after, limit) {
      let q = db
        .selectFrom('events as e')
        .leftJoin('deliveries as d', 'd.id', 'e.delivery_id')
        .select(['e.id', 'e.type', 'e.at', 'e.notification_id', 'e.delivery_id', 'e.data', 'd.channel', 'd.provider', 'd.status'])
        .where('e.app_id', '=', appId);
      if (pg) {
        const rows = await q
          .select(sql<string>`e.txid::text`.as('txid'))
          .where(sql<boolean>`(e.txid, e.id) > (${after.txid}::xid8, ${after.id})`)
          .where(SETTLED)
          .orderBy(sql`e.txid`)
          .orderBy('e.id')
          .limit(limit)
          .execute();
        return rows as OutboxEvent[];
      }
      q = q.where('e.id', '>', after.id);
      const rows = await q.orderBy('e.id').limit(limit).execute();
      return rows.map((r) => ({ ...r, txid: null }));
    },

    async advance(uid, owner, to, o) {
      const r = await db
        .updateTable('webhooks')
        .set({
          cursor_id: to.id,
          cursor_txid: to.txid,
          lease_until: o.leaseUntil,
          ...(o.delivered ? { failures: 0, next_attempt_at: null, last_error: null, last_attempt_at: o.now, last_success_at: o.now } : {}),
        })
        .where('uid', '=', uid)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async failed(uid, owner, o) {
      await db
        .updateTable('webhooks')
        .set({ failures: o.failures, next_attempt_at: o.nextAttemptAt, last_error: o.error, last_attempt_at: o.now, lease_owner: null, lease_until: null })
        .where('uid', '=', uid)
        .where('lease_owner', '=', owner)
        .execute();
    },

    async release(uid, owner) {
      await db.updateTable('webhooks').set({ lease_owner: null, lease_until: null }).where('uid', '=', uid).where('lease_owner', '=', owner).execute();
    },

    async logAttempt(row) {
      await db.insertInto('webhook_attempts').values(row).execute();
    },

    async pruneAttempts(webhookUid, keep) {
      const oldestKept = db
        .selectFrom('webhook_attempts')
        .select('id')
        .where('webhook_uid', '=', webhookUid)
        .orderBy('id', 'desc')
        .limit(1)
        .offset(keep - 1);
      await db.deleteFrom('webhook_attempts').where('webhook_uid', '=', webhookUid).where('id', '<', oldestKept).execute();
    },

    async attempts(webhookUid, limit, before) {
      let q = db.selectFrom('webhook_attempts').selectAll().where('webhook_uid', '=', webhookUid);
      if (before) q = q.where('id', '<', before);
      return q.orderBy('id', 'desc').limit(limit).execute();
    },
  };
}
