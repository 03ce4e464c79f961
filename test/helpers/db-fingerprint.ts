import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';

/**
 * "Nothing was written": a fingerprint of everything an app can see or that a send leaves behind, read
 * straight from the database so that no write can hide behind an API that does not show it (an update of
 * a user's preferences, a settings change in the apps row, an event row, a webhook attempt).
 *
 * For every table: its row count and a hash of its rows. Left out, because they change with no request
 * being accepted:
 * - tables that are bookkeeping, not data: migrations and their lock, job leases, and whatever table a
 *   failed-authentication throttle keeps (a refused request is expected to count there);
 * - columns that background loops move on their own (leases, next/last run and attempt times, webhook
 *   cursors and failure counters) — a row appearing or disappearing in those tables is still seen.
 * Reading is cheap (the suites keep the data small: a handful of fixtures plus what hostile cases let
 * through), so every case is fingerprinted just before and just after its request.
 */
export interface Fingerprinter {
  snapshot(): Promise<Record<string, string>>;
  tables(): Promise<string[]>;
  close(): Promise<void>;
}

const EXCLUDED_TABLE = /^(sqlite_|herald_migrations|kysely_migration|pg_)|^job_leases$|auth_fail|failed_auth|throttl|rate_limit|login_attempt|auth_attempt/i;
const VOLATILE_COLUMN =
  /^(lease_owner|lease_until|leased_until|locked_until|heartbeat_at|next_run_at|next_attempt_at|last_attempt_at|last_success_at|last_run_at|last_error|failures|runs|cursor_id|cursor_txid)$/;

function digest(rows: Record<string, unknown>[]): string {
  const lines = rows.map((r) =>
    JSON.stringify(
      Object.keys(r)
        .filter((k) => !VOLATILE_COLUMN.test(k))
        .sort()
        .map((k) => [k, r[k] instanceof Buffer ? (r[k] as Buffer).toString('base64') : r[k] instanceof Date ? (r[k] as Date).toISOString() : r[k]]),
      (_k, v) => (typeof v === 'bigint' ? v.toString() : v),
    ),
  );
  lines.sort();
  return `${rows.length}:${createHash('sha1').update(lines.join('\n')).digest('hex').slice(0, 16)}`;
}

export function sqliteFingerprinter(file: string): Fingerprinter {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  const tables = () =>
    (db.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as { name: string }[]).map((r) => r.name).filter((t) => !EXCLUDED_TABLE.test(t));
  return {
    tables: async () => tables(),
    async snapshot() {
      const out: Record<string, string> = {};
      // One read transaction: every table from the same instant.
      db.transaction(() => {
        for (const t of tables()) out[t] = digest(db.prepare(`select * from "${t}"`).all() as Record<string, unknown>[]);
      })();
      return out;
    },
    async close() {
      db.close();
    },
  };
}

export async function postgresFingerprinter(url: string): Promise<Fingerprinter> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  // bigint and numeric as text, dates as text: stable across reads.
  const tables = async () =>
    (await c.query(`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`)).rows
      .map((r: { table_name: string }) => r.table_name)
      .filter((t: string) => !EXCLUDED_TABLE.test(t));
  return {
    tables,
    async snapshot() {
      const out: Record<string, string> = {};
      await c.query('begin transaction isolation level repeatable read read only');
      try {
        for (const t of await tables()) out[t] = digest((await c.query(`select * from "${t}"`)).rows);
      } finally {
        await c.query('commit');
      }
      return out;
    },
    async close() {
      await c.end();
    },
  };
}

/** The tables whose fingerprint differs, for a readable failure. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((t) => before[t] !== after[t]).map((t) => `${t} ${before[t] ?? '∅'} → ${after[t] ?? '∅'}`);
}
