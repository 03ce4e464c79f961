import { sql, type Kysely } from 'kysely';
import type { Store } from '../ports/store.js';
import type { Database } from './schema.js';
import type { DialectName } from './dialect-name.js';
import { createSqliteDb } from './sqlite/dialect.js';
import { createPostgresDb } from './postgres/dialect.js';
import { migrateToLatest } from './migrator.js';
import { appQueries } from './queries/apps.js';
import { userQueries } from './queries/users.js';
import { deviceQueries } from './queries/devices.js';
import { templateQueries } from './queries/templates.js';
import { notificationQueries } from './queries/notifications.js';
import { deliveryQueries } from './queries/deliveries.js';
import { queueTableQueries } from './queries/queue-table.js';
import { providerQueries } from './queries/providers.js';
import { scheduleQueries } from './queries/schedules.js';
import { alertQueries } from './queries/alerts.js';
import { trackingQueries } from './queries/tracking.js';
import { sweepQueries } from './queries/sweep.js';
import { topicQueries } from './queries/topics.js';
import { fanoutQueries } from './queries/fanouts.js';
import { capCounterQueries } from './queries/cap-counters.js';
import { webhookQueries } from './queries/webhooks.js';
import { analyticsQueries } from './queries/analytics.js';
import { jobLeaseQueries, retentionQueries } from './queries/retention.js';

/**
 * One Store over Kysely for both databases: the queries are written once and the few differences
 * (id column type, SKIP LOCKED) are decided by the dialect name, so both pass the same contract suite.
 */
export function createStore(databaseUrl: string, opts: { poolSize?: number } = {}): Store & { db: Kysely<Database> } {
  const dialect: DialectName = databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const db = dialect === 'sqlite' ? createSqliteDb(databaseUrl.slice('sqlite:'.length)) : createPostgresDb(databaseUrl, opts.poolSize);
  return {
    dialect,
    db,
    migrate: () => migrateToLatest(db as Kysely<unknown>, dialect),
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
    apps: appQueries(db),
    users: userQueries(db),
    devices: deviceQueries(db),
    templates: templateQueries(db),
    notifications: notificationQueries(db, dialect),
    deliveries: deliveryQueries(db, dialect),
    providers: providerQueries(db),
    schedules: scheduleQueries(db, dialect),
    alerts: alertQueries(db),
    tracking: trackingQueries(db),
    topics: topicQueries(db),
    fanouts: fanoutQueries(db, dialect),
    capCounters: capCounterQueries(db),
    queueTable: queueTableQueries(db, dialect),
    sweep: sweepQueries(db),
    webhooks: webhookQueries(db, dialect),
    analytics: analyticsQueries(db),
    retention: retentionQueries(db),
    jobLeases: jobLeaseQueries(db),
  };
}
