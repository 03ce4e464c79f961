import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { basic } from '../helpers/herald.js';
import { freePort, spawnHerald, waitForExit, waitForHttp } from '../helpers/child.js';
import { freshPostgres, postgresAvailable } from '../helpers/postgres.js';
import { redisAvailable, uniquePrefix, deletePrefix } from '../helpers/redis.js';

const TOTAL = 1500;
const BATCH = 50;
const REDIS = 'redis://127.0.0.1:6379/6';
const TERMINAL = ['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired'];

const available = (await postgresAvailable()) && (await redisAvailable());

function restartPostgres(): void {
  const version = readdirSync('/etc/postgresql')[0];
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'ignore' });
}

/**
 * Scaled out (1 api + 2 workers on PostgreSQL and Redis, real processes): a worker is killed with
 * SIGKILL mid-batch and PostgreSQL is restarted mid-run; every accepted notification still ends in a
 * terminal status with at least one provider call. Runs after every other suite (vitest project
 * "disruptive"), because restarting PostgreSQL would break the others' connections.
 */
describe.skipIf(!available || !existsSync('/etc/postgresql'))('scaled out: kill -9 a worker, restart PostgreSQL', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-scaled-'));
  let db: Awaited<ReturnType<typeof freshPostgres>>;
  const prefix = uniquePrefix('scaled');
  beforeAll(async () => {
    db = await freshPostgres();
  });
  afterAll(async () => {
    await deletePrefix(REDIS, prefix).catch(() => {});
    await db?.drop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing', async () => {
    const port = await freePort();
    const env = {
      HERALD_DATA_DIR: dataDir,
      HERALD_PORT: String(port),
      HERALD_DATABASE_URL: db.url,
      HERALD_QUEUE_URL: REDIS,
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_SANDBOX: '1',
      HERALD_BOOTSTRAP_KEY: 'sk',
      HERALD_BOOTSTRAP_SECRET: 'ss',
      HERALD_LEASE_MS: '2000',
      HERALD_LOG_LEVEL: 'fatal',
    };
    const url = `http://127.0.0.1:${port}`;
    const auth = basic('sk', 'ss');
    const started = Date.now();
    const api = spawnHerald(['api'], env);
    await waitForHttp(`${url}/healthz`);
    const workers = [spawnHerald(['worker'], env), spawnHerald(['worker'], env)];
    const accepted = new Map<string, string[]>();
    let refused = 0;

    const sendBatch = async (b: number) => {
      const notifications = Array.from({ length: BATCH }, (_, i) => ({
        event_id: `scaled-${b}-${i}`,
        to: i % 3 === 0 ? { phone: '+14155552671' } : { email: `u${b}-${i}@example.com` },
        content: i % 3 === 0 ? { sms: { text: `m ${b}/${i}` } } : { email: { subject: 'scaled', text: `m ${b}/${i}` } },
      }));
      for (let attempt = 0; attempt < 30; attempt++) {
        try {
          const res = await fetch(`${url}/v1/notifications/batch`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ notifications }) });
          if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
          const body = (await res.json()) as { results: { id?: string; deliveries?: { id: string }[] }[] };
          for (const r of body.results) if (r.id) accepted.set(r.id, r.deliveries!.map((d) => d.id));
          return;
        } catch {
          refused++; // not acknowledged: sent again with the same event ids (idempotent)
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      throw new Error('the API never came back');
    };

    try {
      for (let b = 0; b < TOTAL / BATCH; b++) {
        await sendBatch(b);
        if (b === 8) workers[0].kill('SIGKILL'); // mid-batch: it holds leased deliveries
        if (b === 14) restartPostgres();
        if (b === 20) workers[0] = spawnHerald(['worker'], env);
      }
      const ids = [...accepted.values()].flat();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const deadline = Date.now() + 90_000;
      let open = ids.length;
      while (Date.now() < deadline) {
        const r = await client.query(`select count(*)::int n from deliveries where status <> all($1) and id = any($2)`, [TERMINAL, ids]);
        open = r.rows[0].n;
        if (open === 0) break;
        await new Promise((res) => setTimeout(res, 500));
      }
      const statuses = (await client.query(`select status, count(*)::int n from deliveries group by status`)).rows;
      const pgStarted = (await client.query(`select extract(epoch from pg_postmaster_start_time()) * 1000 as t`)).rows[0].t as number;
      await client.end();
      const calls = new Map<string, number>();
      for (const line of readFileSync(path.join(dataDir, 'sandbox-outbox.jsonl'), 'utf8').split('\n')) {
        if (line) {
          const id = (JSON.parse(line) as { deliveryId: string }).deliveryId;
          calls.set(id, (calls.get(id) ?? 0) + 1);
        }
      }
      const missing = ids.filter((id) => !calls.get(id));
      const duplicates = ids.reduce((n, id) => n + Math.max(0, (calls.get(id) ?? 0) - 1), 0);
      console.log(
        `scaled recovery: ${accepted.size} notifications / ${ids.length} deliveries accepted (${refused} requests retried); ` +
          `open after recovery: ${open}; provider calls missing: ${missing.length}; duplicates: ${duplicates}; statuses ${JSON.stringify(statuses)}`,
      );
      expect(Number(pgStarted)).toBeGreaterThan(started); // PostgreSQL really was restarted mid-run
      expect(accepted.size).toBe(TOTAL);
      expect(open).toBe(0);
      expect(missing).toEqual([]);
    } finally {
      for (const p of [api, ...workers]) p.kill('SIGTERM');
      await Promise.all([api, ...workers].map(waitForExit));
    }
  }, 240_000);
});
