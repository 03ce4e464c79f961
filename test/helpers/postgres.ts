import pg from 'pg';
import { randomBytes } from 'node:crypto';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Whether PostgreSQL answers; under CI=true its absence is a failure, not a skip. */
export async function postgresAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true and did not answer at ${ADMIN_URL}: ${(err as Error).message}`);
    return false;
  }
}

/** A fresh, empty database per test file; dropped by the returned function. */
export async function freshPostgres(prefix = 'herald_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
