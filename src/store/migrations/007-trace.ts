import type { Kysely } from 'kysely';

/** The W3C traceparent of the accept span, so the worker's span continues the same trace. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('trace_parent', 'text').execute();
}
