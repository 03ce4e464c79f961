import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectName } from './dialect-name.js';
import * as m001 from './migrations/001-initial.js';
import * as m002 from './migrations/002-tracking.js';
import * as m003 from './migrations/003-consent.js';
import * as m004 from './migrations/004-schedules.js';
import * as m005 from './migrations/005-webhooks.js';
import * as m006 from './migrations/006-analytics.js';
import * as m007 from './migrations/007-trace.js';
import * as m008 from './migrations/008-alerts.js';
import * as m009 from './migrations/009-lean-indexes.js';
import * as m010 from './migrations/010-token-bindings.js';
import * as m011 from './migrations/011-relet.js';

/** Migrations in order; each receives the dialect for the few types that differ. */
const MIGRATIONS: Record<string, { up(db: Kysely<unknown>, d: DialectName): Promise<void> }> = {
  '001-initial': m001,
  '002-tracking': m002,
  '003-consent': m003,
  '004-schedules': m004,
  '005-webhooks': m005,
  '006-analytics': m006,
  '007-trace': m007,
  '008-alerts': m008,
  '009-lean-indexes': m009,
  '010-token-bindings': m010,
  '011-relet': m011,
};

export async function migrateToLatest(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) out[name] = { up: (d) => m.up(d, dialect) };
      return out;
    },
  };
  const { error, results } = await new Migrator({ db, provider, migrationTableName: 'herald_migrations', migrationLockTableName: 'herald_migrations_lock' }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
