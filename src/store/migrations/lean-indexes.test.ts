import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { createStore } from '../create-store.js';
import { freshPostgres, postgresAvailable } from '../../../test/helpers/postgres.js';

const pgAvailable = await postgresAvailable();

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

function planSuite(dialect: 'sqlite' | 'postgres', make: () => Promise<{ url: string; cleanup: () => Promise<void> }>) {
  let store: ReturnType<typeof createStore>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const made = await make();
    cleanup = made.cleanup;
    store = createStore(made.url);
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  async function plan(db: Kysely<unknown>, q: (typeof QUERIES)[keyof typeof QUERIES]): Promise<string> {
    if (dialect === 'sqlite') return (await sql<{ detail: string }>`explain query plan ${q}`.execute(db)).rows.map((r) => r.detail).join('\n');
    return db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      return (await sql<{ 'QUERY PLAN': string }>`explain ${q}`.execute(trx)).rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  for (const [name, q] of Object.entries(QUERIES)) {
    it(`finds ${name} through ${INDEX[name as keyof typeof INDEX]}`, async () => {
      expect(await plan(store.db as Kysely<unknown>, q)).toContain(INDEX[name as keyof typeof INDEX]);
    });
  }

  it('no longer keeps the indexes 009 dropped', async () => {
    const names =
      dialect === 'sqlite'
        ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(store.db)).rows.map((r) => r.name)
        : (await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(store.db)).rows.map((r) => r.name);
    expect(names).not.toContain('deliveries_app_status');
    expect(names).not.toContain('deliveries_provider_message');
    if (dialect === 'postgres') expect(names).not.toContain('events_app_id');
    else expect(names).toContain('events_app_id'); // SQLite's webhook outbox is ordered by it
  });
}

describe('indexes after migration 009 on SQLite', () => {
  planSuite('sqlite', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-plans-'));
    return { url: `sqlite:${path.join(dir, 'herald.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });
});

describe.skipIf(!pgAvailable)('indexes after migration 009 on PostgreSQL', () => {
  planSuite('postgres', async () => {
    const db = await freshPostgres();
    return { url: db.url, cleanup: db.drop };
  });
});
