import { afterAll, beforeAll, describe } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from '../../src/store/create-store.js';
import type { DialectName } from '../../src/store/dialect-name.js';
import { freshPostgres, postgresAvailable } from './postgres.js';

export type MigratedStore = ReturnType<typeof createStore>;

/**
 * Declares the suite twice, as `${name} on SQLite` (a temporary file) and `${name} on PostgreSQL` (a
 * fresh database), each on a migrated store of its own, closed and removed after the block. The store
 * is handed over as a getter because it only exists once the block's beforeAll has run.
 *
 * Await it at the top level of the test file: the PostgreSQL block is skipped when PostgreSQL does not
 * answer (under CI=true postgresAvailable() throws instead), and that must be known before the file's
 * tests are collected.
 */
export async function onBothDatabases(name: string, suite: (dialect: DialectName, store: () => MigratedStore) => void): Promise<void> {
  const pgAvailable = await postgresAvailable();

  describe(`${name} on SQLite`, () => suite('sqlite', migratedStore(sqliteInTempDir)));
  describe.skipIf(!pgAvailable)(`${name} on PostgreSQL`, () => suite('postgres', migratedStore(freshPostgresDatabase)));
}

interface ScratchDatabase {
  url: string;
  cleanup: () => Promise<void>;
}

async function sqliteInTempDir(): Promise<ScratchDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-store-'));
  return { url: `sqlite:${path.join(dir, 'herald.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function freshPostgresDatabase(): Promise<ScratchDatabase> {
  const db = await freshPostgres();
  return { url: db.url, cleanup: db.drop };
}

function migratedStore(make: () => Promise<ScratchDatabase>): () => MigratedStore {
  let store: MigratedStore;
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
  return () => store;
}
