import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from './create-store.js';
import { insertRows } from './bulk-insert.js';
import { freshPostgres, postgresAvailable } from '../../test/helpers/postgres.js';
import type { DialectName } from './dialect-name.js';

const pgAvailable = await postgresAvailable();

/** Values JSON and SQL must quote or escape, and nulls, survive the trip (PostgreSQL gets the rows as one JSON parameter). */
function bulkSuite(dialect: DialectName, make: () => Promise<{ url: string; cleanup: () => Promise<void> }>) {
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

  const awkward = ['plain', 'with "quotes"', 'back\\slash', '{braces},commas', 'NULL', '', ' spaced ', 'ünïcødé 📦', 'line\nbreak', JSON.stringify({ a: '"x"', b: [1, '\\'] })];

  it('inserts events with awkward text, nulls and epoch milliseconds exactly', async () => {
    const at = 1_800_000_000_123;
    const rows = awkward.map((data, i) => ({ app_id: 'bulk-app', notification_id: `n${i}`, delivery_id: i % 2 ? null : `d${i}`, type: 'created', at: at + i, data: i === 3 ? null : data }));
    await insertRows(store.db, dialect, 'events', rows);
    const got = await store.db.selectFrom('events').select(['notification_id', 'delivery_id', 'at', 'data']).where('app_id', '=', 'bulk-app').orderBy('id').execute();
    expect(got.map((r) => ({ ...r, at: Number(r.at) }))).toEqual(rows.map((r) => ({ notification_id: r.notification_id, delivery_id: r.delivery_id, at: r.at, data: r.data })));
  });

  it('inserts more rows than one statement carries', async () => {
    const rows = Array.from({ length: 4321 }, (_, i) => ({ app_id: 'bulk-many', notification_id: `n${i}`, delivery_id: null, type: 'queued', at: i, data: null }));
    await insertRows(store.db, dialect, 'events', rows);
    const n = await store.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('app_id', '=', 'bulk-many').executeTakeFirst();
    expect(Number(n?.n)).toBe(4321);
  });
}

describe('bulk insert on SQLite', () => {
  bulkSuite('sqlite', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-bulk-'));
    return { url: `sqlite:${path.join(dir, 'herald.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });
});

describe.skipIf(!pgAvailable)('bulk insert on PostgreSQL', () => {
  bulkSuite('postgres', async () => {
    const db = await freshPostgres();
    return { url: db.url, cleanup: db.drop };
  });
});
