import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './dialect-name.js';
import { chunks } from './chunks.js';

type BulkTable = 'notifications' | 'deliveries' | 'events';

/** PostgreSQL types of the columns the hot path inserts, for unnest's typed arrays. */
const PG_TYPES: Record<BulkTable, Record<string, string>> = {
  notifications: {
    id: 'text', app_id: 'text', idempotency_key: 'text', request_hash: 'text', response: 'text', user_id: 'text', template: 'text',
    template_version: 'integer', category: 'text', priority: 'text', status: 'text', send_at: 'bigint', expires_at: 'bigint', created_at: 'bigint',
  },
  deliveries: {
    id: 'text', app_id: 'text', notification_id: 'text', user_id: 'text', device_id: 'text', channel: 'text', platform: 'text', provider: 'text',
    to_addr: 'text', status: 'text', reason: 'text', content: 'text', category: 'text', priority_rank: 'integer', run_at: 'bigint', lease_until: 'bigint',
    attempts: 'integer', provider_message_id: 'text', last_error: 'text', expires_at: 'bigint', created_at: 'bigint', updated_at: 'bigint',
    open_count: 'integer', click_count: 'integer', trace_parent: 'text',
  },
  events: { app_id: 'text', notification_id: 'text', delivery_id: 'text', type: 'text', at: 'bigint', data: 'text' },
};

// SQLite: rows per multi-row INSERT, under its limit on bound parameters (32,766) for every table here.
const SQLITE_ROWS = 500;
// PostgreSQL: rows per unnest INSERT (one parameter per column however many rows; this bounds a statement's size).
const PG_ROWS = 2000;

/**
 * Inserts many rows of one of the accept/outcome path's tables. On PostgreSQL as
 * `INSERT … SELECT * FROM unnest($1::text[], $2::bigint[], …)`: one parameter per column instead of
 * one per value, so the statement's text stays a few hundred bytes instead of tens of kilobytes that
 * PostgreSQL parses and plans afresh for every batch (and Kysely builds and compiles first). On
 * SQLite, in-process, multi-row VALUES are as cheap.
 */
export async function insertRows<T extends BulkTable>(
  db: Kysely<Database> | Transaction<Database>,
  dialect: DialectName,
  table: T,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  if (dialect === 'sqlite') {
    for (const part of chunks([...rows], SQLITE_ROWS)) await db.insertInto(table).values(part as never).execute();
    return;
  }
  const types = PG_TYPES[table];
  const columns = Object.keys(rows[0]).filter((c) => types[c] !== undefined);
  const known = new Set(columns);
  // Rows of one call come from one code path and so have the same keys; anything else goes the general way.
  if (Object.keys(rows[0]).some((c) => !known.has(c)) || rows.some((r) => Object.keys(r).length !== columns.length)) {
    for (const part of chunks([...rows], 200)) await db.insertInto(table).values(part as never).execute();
    return;
  }
  for (const part of chunks([...rows], PG_ROWS)) {
    const arrays = columns.map((c) => sql`${part.map((r) => (r as Record<string, unknown>)[c] ?? null)}::${sql.raw(types[c])}[]`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})`.execute(db);
  }
}
