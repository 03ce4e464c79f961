import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectName } from './dialect-name.js';
import * as m001 from './migrations/001-initial.js';

/** Migrations in order; each receives the dialect for the few types that differ. */
const MIGRATIONS: Record<string, { up(db: Kysely<unknown>, d: DialectName): Promise<void> }> = {
  '001-initial': m001,
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
