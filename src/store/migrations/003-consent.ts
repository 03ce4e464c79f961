import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/** Topic fan-outs and frequency-cap counters (topic_subscriptions itself came with 001). */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';

  // A user's own topics (GET /v1/users/{id}/topics); the primary key serves the fan-out's pages.
  await db.schema.createIndex('topic_subscriptions_user').on('topic_subscriptions').columns(['app_id', 'user_id']).execute();

  await db.schema
    .createTable('fanouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('cursor', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', ms)
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('users', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deliveries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('suppressed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addColumn('finished_at', ms)
    .execute();
  // Claims look only at running fan-outs; finished ones stay as the record of what was sent.
  await sql`CREATE INDEX fanouts_running ON fanouts (created_at) WHERE status = 'running'`.execute(db);

  await db.schema
    .createTable('cap_counters')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('window_start', ms, (c) => c.notNull())
    .addColumn('window_end', ms, (c) => c.notNull())
    .addColumn('used', 'integer', (c) => c.notNull())
    .addColumn('cap', 'integer', (c) => c.notNull())
    .addColumn('requested', 'integer', (c) => c.notNull())
    .addColumn('granted', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('cap_counters_pk', ['app_id', 'user_id', 'channel', 'window_start'])
    .execute();
  await db.schema.createIndex('cap_counters_window_end').on('cap_counters').column('window_end').execute();
}
