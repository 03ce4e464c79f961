import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../schema.js';

// Times are epoch ms in bigint columns; they fit a JS number exactly, so parse int8 as one.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPostgresDb(url: string, max = 10): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max });
  // A dropped connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
