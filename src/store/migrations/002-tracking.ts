import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/**
 * Email opens and clicks are counted on the delivery; only the first of each becomes an event, so
 * a mail client that reloads images does not flood the timeline. One ADD COLUMN per statement:
 * SQLite takes no more.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('open_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('deliveries').addColumn('click_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
