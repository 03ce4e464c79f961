import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/** Versioned migrations must stay backward compatible for one version (rolling upgrades). */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  const json = 'text';

  await db.schema
    .createTable('apps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('settings', json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('locale', 'text')
    .addColumn('timezone', 'text')
    .addColumn('name', 'text')
    .addColumn('data', json)
    .addColumn('preferences', json)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('users_pk', ['app_id', 'id'])
    .execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('subscription', json)
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('deactivated_reason', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('devices_token_unique', ['app_id', 'platform', 'token'])
    .execute();
  await db.schema.createIndex('devices_user').on('devices').columns(['app_id', 'user_id']).execute();

  await db.schema
    .createTable('topic_subscriptions')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('topic_subscriptions_pk', ['app_id', 'topic', 'user_id'])
    .execute();

  await db.schema
    .createTable('templates')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('channels', json, (c) => c.notNull())
    .addColumn('locales', json)
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('templates_pk', ['app_id', 'key', 'version'])
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text')
    .addColumn('response', json)
    .addColumn('user_id', 'text')
    .addColumn('template', 'text')
    .addColumn('template_version', 'integer')
    .addColumn('category', 'text')
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('send_at', ms)
    .addColumn('expires_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addUniqueConstraint('notifications_idempotency', ['app_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('notifications_app_id').on('notifications').columns(['app_id', 'id']).execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('notification_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('device_id', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('platform', 'text')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('to_addr', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('content', json)
    .addColumn('category', 'text')
    .addColumn('priority_rank', 'integer', (c) => c.notNull())
    .addColumn('run_at', ms, (c) => c.notNull())
    .addColumn('lease_until', ms)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('provider_message_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('expires_at', ms)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deliveries_notification').on('deliveries').column('notification_id').execute();
  await db.schema.createIndex('deliveries_user').on('deliveries').columns(['app_id', 'user_id']).execute();
  await db.schema.createIndex('deliveries_app_status').on('deliveries').columns(['app_id', 'status']).execute();
  await db.schema.createIndex('deliveries_provider_message').on('deliveries').column('provider_message_id').execute();
  // The embedded queue's claim walks this index: only claimable rows are in it, in claim order.
  // Dead letters per channel for /v1/queues and metrics, without scanning every delivery ever made.
  await sql`CREATE INDEX deliveries_dead ON deliveries (channel) WHERE status = 'failed'`.execute(db);
  await sql`CREATE INDEX deliveries_claim ON deliveries (channel, priority_rank, run_at) WHERE status IN ('queued', 'scheduled')`.execute(db);

  await db.schema
    .createTable('events')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('notification_id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .addColumn('data', json)
    .execute();
  await db.schema.createIndex('events_notification').on('events').columns(['notification_id', 'id']).execute();

  await db.schema
    .createTable('providers')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('config_enc', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('providers_pk', ['app_id', 'name'])
    .execute();
}
