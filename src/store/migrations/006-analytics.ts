import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/**
 * Analytics and retention. Both read an app's rows by time, which no index served: analytics scans
 * one app's deliveries in a date range, and the retention job walks each app's oldest events,
 * deliveries and notifications. job_leases lets one process at a time run a periodic job (the
 * retention pass) on SQLite and PostgreSQL alike.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema.createIndex('deliveries_app_created').on('deliveries').columns(['app_id', 'created_at']).execute();
  await db.schema.createIndex('events_app_at').on('events').columns(['app_id', 'at']).execute();
  await db.schema.createIndex('notifications_app_created').on('notifications').columns(['app_id', 'created_at']).execute();

  await db.schema
    .createTable('job_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    // Held until then; a holder that dies leaves it to run out.
    .addColumn('lease_until', ms, (c) => c.notNull())
    .execute();
}
