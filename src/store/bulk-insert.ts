import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './dialect-name.js';
import { chunks } from './chunks.js';

type BulkTable = 'notifications' | 'deliveries' | 'events';

// SQLite: rows per multi-row INSERT, under its limit on bound parameters (32,766) for every table here.
const SQLITE_ROWS = 200;
// PostgreSQL: rows per INSERT (one parameter whatever the count; this bounds a statement's size).
const PG_ROWS = 2000;

/**
 * Inserts many rows of one of the accept/outcome path's tables. On PostgreSQL as
 * `INSERT … SELECT cols FROM json_populate_recordset(NULL::table, $1)`: the rows travel as one JSON
 * parameter (JSON.stringify is native, PostgreSQL reads it into the table's own row type), so the
 * statement's text stays a hundred bytes instead of tens of kilobytes of placeholders that
 * PostgreSQL parses and plans afresh for every batch (and Kysely builds and compiles first). Columns
 * left out of the rows keep their defaults. On SQLite, in-process, multi-row VALUES are as cheap.
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
  const columns = sql.join(Object.keys(rows[0]).map((c) => sql.ref(c)));
  for (const part of chunks([...rows], PG_ROWS)) {
    await sql`insert into ${sql.table(table)} (${columns}) select ${columns} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(part)}::json)`.execute(db);
  }
}
