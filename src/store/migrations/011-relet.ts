import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/**
 * deliveries.relet: 1 while a delivery is held by a worker that took it up after another worker's
 * lease ran out without an outcome (a process killed, or one that lost its lease). The worker then
 * writes `lease_expired` before its attempt in the timeline, so a user can see which notifications
 * may have gone out twice (issue 13). The embedded queue sets it in its claim; BullMQ for the
 * deliveries of a job it took up after a stall. A constant default: no table rewrite.
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('relet', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
