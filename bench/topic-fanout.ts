/**
 * node --expose-gc dist/bench/topic-fanout.js [--subscribers 100000] [--postgres]
 *
 * Topic fan-out at scale: starts Herald in this process (API + workers, sandbox providers) on a fresh
 * SQLite file (or a fresh PostgreSQL database with --postgres), imports `subscribers` users subscribed
 * to one topic straight through the Store in bulk, sends one notification to the topic over HTTP and
 * lets the fan-out worker stream it. Prints the accept time, the fan-out's pages and rate, and the
 * process heap before, at its peak during, and after the fan-out: flat memory means the subscribers are
 * never all held at once. The notification is scheduled a day ahead, so deliveries are planned and
 * written but not sent: this measures the fan-out, not the providers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startHerald } from '../src/main.js';
import type { UsersRow } from '../src/ports/store.js';
import { freshPostgres } from '../test/helpers/postgres.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const SUBSCRIBERS = arg('subscribers', 100_000);
const POSTGRES = process.argv.includes('--postgres');

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

async function main(): Promise<void> {
  if (!(globalThis as { gc?: unknown }).gc) console.warn('run with node --expose-gc for settled heap figures');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-fanout-bench-'));
  const pg = POSTGRES ? await freshPostgres() : undefined;
  const config = loadConfig(
    {
      HERALD_DATA_DIR: dataDir,
      HERALD_PORT: '0',
      HERALD_BOOTSTRAP_KEY: 'bench-key',
      HERALD_BOOTSTRAP_SECRET: 'bench-secret',
      HERALD_LOG_LEVEL: 'warn',
      ...(pg ? { HERALD_DATABASE_URL: pg.url } : {}),
    },
    { readDotEnv: false },
  );
  const herald = await startHerald(config, createLogger(config.logLevel), { api: true, worker: true });
  try {
    const store = herald.store;
    const appId = (await store.apps.findByKey('bench-key'))!.id;
    await herald.fanout!.stop();

    const t0 = Date.now();
    const IMPORT = 10_000;
    for (let from = 0; from < SUBSCRIBERS; from += IMPORT) {
      const users: UsersRow[] = [];
      for (let i = from; i < Math.min(SUBSCRIBERS, from + IMPORT); i++) {
        users.push({
          app_id: appId,
          id: `user-${String(i).padStart(7, '0')}`,
          email: `user-${i}@example.com`,
          phone: `+1415${String(2_000_000 + (i % 7_000_000)).padStart(7, '0')}`,
          locale: null,
          timezone: null,
          name: `User ${i}`,
          data: null,
          preferences: null,
          created_at: t0,
          updated_at: t0,
        });
      }
      await store.users.insertMany(users);
      await store.topics.subscribeMany(users.map((u) => ({ app_id: appId, topic: 'everyone', user_id: u.id, created_at: t0 })));
    }
    console.log(`imported ${SUBSCRIBERS} subscribers in ${((Date.now() - t0) / 1000).toFixed(1)} s (${POSTGRES ? 'PostgreSQL' : 'SQLite'})`);

    const before = heap();
    const sent = Date.now();
    const res = await fetch(`${herald.url}/v1/notifications`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('bench-key:bench-secret').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        topic: 'everyone',
        content: { sms: { text: 'Big news' }, email: { subject: 'Big news', text: 'Read all about it' } },
        send_at: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    });
    const accepted = (await res.json()) as { id: string };
    const acceptMs = Date.now() - sent;

    let peak = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
    const f0 = Date.now();
    herald.fanout!.start();
    let row = await store.fanouts.get(appId, accepted.id);
    while (row && row.status === 'running') {
      await new Promise((r) => setTimeout(r, 100));
      row = await store.fanouts.get(appId, accepted.id);
    }
    const seconds = (Date.now() - f0) / 1000;
    clearInterval(sampler);
    const after = heap();

    console.log(`accepted in ${acceptMs} ms (HTTP ${res.status}); fan-out ${row?.status} in ${seconds.toFixed(1)} s`);
    console.log(`  pages ${row?.pages}, users ${row?.users}, deliveries ${row?.deliveries} (${Math.round((row?.deliveries ?? 0) / seconds)}/s)`);
    console.log(`  heap before ${mb(before)}, peak during ${mb(peak)} (unsettled, garbage included), after ${mb(after)}; rss ${mb(process.memoryUsage().rss)}`);
  } finally {
    await herald.stop();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
