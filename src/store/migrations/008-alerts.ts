import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/** One row per app and alert key: its state decides, atomically, who writes the raised/resolved event. */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('alerts')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('threshold', 'double precision')
    .addColumn('raised_at', ms)
    .addColumn('resolved_at', ms)
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('alerts_pk', ['app_id', 'key'])
    .execute();
}
