import { expect, it } from 'vitest';
import { insertRows } from './bulk-insert.js';
import { onBothDatabases } from '../../test/helpers/stores.js';

/** Values JSON and SQL must quote or escape, and nulls, survive the trip (PostgreSQL gets the rows as one JSON parameter). */
await onBothDatabases('bulk insert', (dialect, store) => {
  const awkward = ['plain', 'with "quotes"', 'back\\slash', '{braces},commas', 'NULL', '', ' spaced ', 'ünïcødé 📦', 'line\nbreak', JSON.stringify({ a: '"x"', b: [1, '\\'] })];

  it('inserts events with awkward text, nulls and epoch milliseconds exactly', async () => {
    const at = 1_800_000_000_123;
    const rows = awkward.map((data, i) => ({ app_id: 'bulk-app', notification_id: `n${i}`, delivery_id: i % 2 ? null : `d${i}`, type: 'created', at: at + i, data: i === 3 ? null : data }));
    await insertRows(store().db, dialect, 'events', rows);
    const got = await store().db.selectFrom('events').select(['notification_id', 'delivery_id', 'at', 'data']).where('app_id', '=', 'bulk-app').orderBy('id').execute();
    expect(got.map((r) => ({ ...r, at: Number(r.at) }))).toEqual(rows.map((r) => ({ notification_id: r.notification_id, delivery_id: r.delivery_id, at: r.at, data: r.data })));
  });

  it('inserts more rows than one statement carries', async () => {
    const rows = Array.from({ length: 4321 }, (_, i) => ({ app_id: 'bulk-many', notification_id: `n${i}`, delivery_id: null, type: 'queued', at: i, data: null }));
    await insertRows(store().db, dialect, 'events', rows);
    const n = await store().db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('app_id', '=', 'bulk-many').executeTakeFirst();
    expect(Number(n?.n)).toBe(4321);
  });
});
