import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/**
 * Outbound webhooks: their configuration and cursor, and the log of POST attempts. The events table
 * is their outbox, read per app after each webhook's cursor.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('webhooks')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('cursor_id', ms, (c) => c.notNull().defaultTo(0))
    .addColumn('cursor_txid', dialect === 'postgres' ? sql`xid8` : 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', ms)
    .addColumn('next_attempt_at', ms)
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', ms)
    .addColumn('last_success_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('webhooks_app_id', ['app_id', 'id'])
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_uid', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('batch_size', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('first_event_id', ms)
    .addColumn('last_event_id', ms)
    .execute();
  await db.schema.createIndex('webhook_attempts_webhook').on('webhook_attempts').columns(['webhook_uid', 'id']).execute();

  // The dispatcher reads one app's events after a cursor.
  await db.schema.createIndex('events_app_id').on('events').columns(['app_id', 'id']).execute();

  if (dialect === 'postgres') {
    // A sequence hands out ids before commit, so id order is not commit order: event 7 can become
    // visible after event 8 was read and the cursor moved past it. Each event records its writing
    // transaction, and the dispatcher reads in (txid, id) order only what transactions older than every
    // running one wrote, which no later commit can precede. Existing rows keep NULL (no webhook predates
    // this migration, so none needs them); SET DEFAULT apart from ADD COLUMN avoids rewriting the table.
    await sql`ALTER TABLE events ADD COLUMN txid xid8`.execute(db);
    await sql`ALTER TABLE events ALTER COLUMN txid SET DEFAULT pg_current_xact_id()`.execute(db);
    await sql`CREATE INDEX events_app_txid ON events (app_id, txid, id)`.execute(db);
  }
}
