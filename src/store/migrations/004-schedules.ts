import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('notification', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('next_run_at', ms)
    .addColumn('lease_until', ms)
    .addColumn('last_run_at', ms)
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('schedules_app').on('schedules').columns(['app_id', 'id']).execute();
  await sql`CREATE INDEX schedules_due ON schedules (next_run_at) WHERE status = 'active'`.execute(db);
}
