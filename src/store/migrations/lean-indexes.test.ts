import { expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { onBothDatabases } from '../../../test/helpers/stores.js';

/**
 * Migration 009 took indexes away; the queries they served must still find an index (a plan that
 * scans deliveries would be fine on a test database and slow on a real one). PostgreSQL is asked with
 * sequential scans disabled, so the plan shows whether an index can serve the query at all.
 */
const QUERIES = {
  'dead letters of an app (listDead)': sql`select * from deliveries where app_id = 'a' and status = 'failed' and id < 'z' order by id desc limit 50`,
  "an app's recent dead letters (alerts)": sql`select count(*) from deliveries where app_id = 'a' and status = 'failed' and updated_at >= 5`,
  'a receipt by provider message id': sql`select * from deliveries where provider_message_id = 'SM123' and provider = 'twilio'`,
};
const INDEX = {
  'dead letters of an app (listDead)': 'deliveries_dead_app',
  "an app's recent dead letters (alerts)": 'deliveries_dead_recent',
  'a receipt by provider message id': 'deliveries_provider_message_set',
};

await onBothDatabases('indexes after migration 009', (dialect, store) => {
  async function plan(db: Kysely<unknown>, q: (typeof QUERIES)[keyof typeof QUERIES]): Promise<string> {
    if (dialect === 'sqlite') return (await sql<{ detail: string }>`explain query plan ${q}`.execute(db)).rows.map((r) => r.detail).join('\n');
    return db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      return (await sql<{ 'QUERY PLAN': string }>`explain ${q}`.execute(trx)).rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  for (const [name, q] of Object.entries(QUERIES)) {
    it(`finds ${name} through ${INDEX[name as keyof typeof INDEX]}`, async () => {
      expect(await plan(store().db as Kysely<unknown>, q)).toContain(INDEX[name as keyof typeof INDEX]);
    });
  }

  it('no longer keeps the indexes 009 dropped', async () => {
    const names =
      dialect === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(store().db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(store().db)).rows.map((r) => r.name);
    expect(names).not.toContain('deliveries_app_status');
    expect(names).not.toContain('deliveries_provider_message');
    if (dialect === 'postgres') expect(names).not.toContain('events_app_id');
    else expect(names).toContain('events_app_id'); // SQLite's webhook outbox is ordered by it
  });
});
