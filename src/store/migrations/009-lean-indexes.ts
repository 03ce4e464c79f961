import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/**
 * Fewer index entries per delivery. Every delivery's row is written twice (accepted, then its outcome,
 * which moves it out of the claim index and so can never be a HOT update) and gets three event rows:
 * each index on deliveries costs two entries per delivery and each on events three. Measured in the
 * scaled bench, PostgreSQL was a third of Herald's CPU per notification.
 * - deliveries (app_id, status) served only the dead letters: two partial indexes over failed rows
 *   (few) take its place, for the list (by id) and the alerts' count (by updated_at).
 * - deliveries (provider_message_id) only needs rows that have one (receipts look them up by it):
 *   partial, so an accepted delivery adds no entry.
 * - events (app_id, id) orders the webhook outbox on SQLite; PostgreSQL orders it by (app_id, txid, id).
 * Backward compatible: the previous version's queries all still have an index.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  await sql`CREATE INDEX deliveries_dead_app ON deliveries (app_id, id) WHERE status = 'failed'`.execute(db);
  await sql`CREATE INDEX deliveries_dead_recent ON deliveries (app_id, updated_at) WHERE status = 'failed'`.execute(db);
  await sql`DROP INDEX deliveries_app_status`.execute(db);
  await sql`CREATE INDEX deliveries_provider_message_set ON deliveries (provider_message_id) WHERE provider_message_id IS NOT NULL`.execute(db);
  await sql`DROP INDEX deliveries_provider_message`.execute(db);
  if (dialect === 'postgres') await sql`DROP INDEX events_app_id`.execute(db);
}
