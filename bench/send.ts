/**
 * npm run bench [-- --count 100000 --batch 500 --concurrency 4 --rate 500 --seconds 10]
 * npm run bench -- --mode providers   (per-provider adapter vs raw emulator capacity: bench/providers.ts)
 * npm run bench -- --mode analytics   (GET /v1/analytics over 1,000,000 deliveries: bench/analytics.ts)
 *
 * Starts `herald serve` (SQLite, embedded queue, sandbox providers) on a fresh data dir as a child
 * process and drives it over HTTP:
 *  1. throughput: `count` notifications in batches, as fast as it takes them → accepted/s, delivered/s;
 *  2. latency: `rate` notifications/s offered for `seconds` → p50/p99 accept-to-provider.
 * Accept-to-provider is the delivery's created_at (in the transaction before the 202) to the sandbox
 * provider's call, read from the SQLite file and the sandbox outbox after the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const MODE = process.argv.includes('--mode') ? process.argv[process.argv.indexOf('--mode') + 1] : 'embedded';
const COUNT = arg('count', MODE === 'providers' ? 5000 : 100_000);
const BATCH = arg('batch', 500);
const CONCURRENCY = arg('concurrency', 4);
const RATE = arg('rate', 500);
const SECONDS = arg('seconds', 10);
const PORT = arg('port', 18_000 + Math.floor(Math.random() * 2000));
const URL = `http://127.0.0.1:${PORT}`;
const AUTH = `Basic ${Buffer.from('bench-key:bench-secret').toString('base64')}`;

if (MODE === 'providers') {
  const { runProviderBench } = await import('./providers.js');
  await runProviderBench(COUNT);
  process.exit(0);
}
if (MODE === 'analytics') {
  const { runAnalyticsBench } = await import('./analytics.js');
  await runAnalyticsBench({ deliveries: arg('deliveries', 1_000_000), postgres: process.argv.includes('--postgres') });
  process.exit(0);
}
if (MODE === 'scaled') {
  const { runScaledBench } = await import('./scaled.js');
  await runScaledBench({
    count: arg('count', 200_000),
    batch: BATCH,
    concurrency: CONCURRENCY,
    rate: arg('rate', 1000),
    seconds: SECONDS,
    users: arg('users', 1000),
    baseline: !process.argv.includes('--no-baseline'),
    herald: !process.argv.includes('--no-herald'),
    workerConcurrency: arg('worker-concurrency', 200),
    latencyMs: arg('latency', 20),
    leaseMs: arg('lease-ms', 0),
  });
  process.exit(0);
}
if (MODE !== 'embedded') {
  console.error(`unknown --mode ${MODE}: embedded (default), providers, analytics or scaled`);
  process.exit(2);
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-'));
const child = spawn(process.execPath, [...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []), path.join(ROOT, 'bin/herald.js'), 'serve'], {
  env: { ...process.env, HERALD_DATA_DIR: dataDir, HERALD_PORT: String(PORT), HERALD_BOOTSTRAP_KEY: 'bench-key', HERALD_BOOTSTRAP_SECRET: 'bench-secret', HERALD_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function api(method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(URL + route, { method, headers: { authorization: AUTH, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return res.json();
}

let seq = 0;
/** The daily mix: 10 push : 1 SMS : 5 email, through users with a device, a phone and an address. */
function notification(users: number): unknown {
  const n = seq++;
  const r = n % 16;
  const channel = r < 10 ? 'push' : r < 11 ? 'sms' : 'email';
  return { user_id: `u${n % users}`, template: 'bench', params: { n }, channels: [channel] };
}

async function backlog(): Promise<number> {
  const q = await api('GET', '/v1/queues');
  return q.channels.reduce((s: number, c: any) => s + c.depth + c.in_flight, 0);
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Accept-to-provider latency of deliveries created in [from, to). */
function latencies(from: number, to: number): number[] {
  const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true });
  const created = new Map<string, number>();
  for (const r of db.prepare('select id, created_at from deliveries where created_at >= ? and created_at < ?').iterate(from, to) as Iterable<{ id: string; created_at: number }>) {
    created.set(r.id, r.created_at);
  }
  db.close();
  const out: number[] = [];
  for (const line of readFileSync(path.join(dataDir, 'sandbox-outbox.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const m = JSON.parse(line) as { deliveryId: string; at: string };
    const c = created.get(m.deliveryId);
    if (c !== undefined) out.push(Date.parse(m.at) - c);
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${URL}/healthz`)).ok) break;
    } catch {
      /* starting */
    }
    if (i > 100) throw new Error('herald did not start');
    await sleep(100);
  }
  const USERS = 1000;
  await api('PUT', '/v1/templates/bench', {
    channels: { push: { title: 'Hello {{ user.name }}', body: 'Message {{ params.n }}' }, sms: { text: 'Message {{ params.n }}' }, email: { subject: 'Message {{ params.n }}', html: '<p>Hi {{ user.name }}</p>' } },
  });
  for (let u = 0; u < USERS; u += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, k) => {
        const id = `u${u + k}`;
        return api('PUT', `/v1/users/${id}`, { name: `User ${u + k}`, email: `${id}@example.com`, phone: `+1415555${String(1000 + ((u + k) % 9000)).padStart(4, '0')}` }).then(() =>
          api('POST', `/v1/users/${id}/devices`, { platform: (u + k) % 2 ? 'ios' : 'android', token: (u + k) % 2 ? (u + k).toString(16).padStart(64, '0') : `fcm_${id}_${'x'.repeat(140)}` }),
        );
      }),
    );
  }

  // Phase 1: throughput.
  console.log(`phase 1: ${COUNT} notifications in batches of ${BATCH}, ${CONCURRENCY} clients`);
  const t0 = Date.now();
  let accepted = 0;
  let sent = 0;
  const progress = setInterval(async () => {
    const left = await backlog().catch(() => NaN);
    const s = (Date.now() - t0) / 1000;
    process.stdout.write(`\r  ${s.toFixed(1)} s  accepted ${accepted}/${COUNT} (${Math.round(accepted / s)}/s)  backlog ${left}   `);
  }, 500);
  const client = async () => {
    while (sent < COUNT) {
      const n = Math.min(BATCH, COUNT - sent);
      sent += n;
      const r = await api('POST', '/v1/notifications/batch', { notifications: Array.from({ length: n }, () => notification(USERS)) });
      accepted += r.results.filter((x: any) => x.id).length;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const tAccepted = Date.now();
  while ((await backlog()) > 0) await sleep(100);
  const tDone = Date.now();
  clearInterval(progress);
  process.stdout.write('\n');
  const lat1 = latencies(t0, tAccepted + 1);

  // Phase 2: latency at a steady offered rate.
  console.log(`phase 2: ${RATE}/s offered for ${SECONDS} s (batches of ${RATE / 10} every 100 ms)`);
  const p0 = Date.now();
  const ticks: Promise<void>[] = [];
  for (let t = 0; t < SECONDS * 10; t++) {
    ticks.push(api('POST', '/v1/notifications/batch', { notifications: Array.from({ length: RATE / 10 }, () => notification(USERS)) }).then(() => undefined));
    const due = p0 + (t + 1) * 100;
    await sleep(Math.max(0, due - Date.now()));
    if (t % 10 === 9) process.stdout.write(`\r  ${((Date.now() - p0) / 1000).toFixed(0)} s`);
  }
  await Promise.all(ticks);
  while ((await backlog()) > 0) await sleep(100);
  process.stdout.write('\n');
  const lat2 = latencies(p0, Date.now());

  const deliveries = lat1.length;
  const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true });
  const statuses = db.prepare('select status, reason, count(*) n from deliveries group by status, reason').all() as { status: string; reason: string | null; n: number }[];
  db.close();
  console.log('\nresults (all-in-one, SQLite, embedded queue, sandbox: provider emulators over their real protocols in the same process)');
  console.log(`  accepted/s:   ${Math.round(accepted / ((tAccepted - t0) / 1000))}  (${accepted} notifications in ${((tAccepted - t0) / 1000).toFixed(1)} s)`);
  console.log(`  delivered/s:  ${Math.round(deliveries / ((tDone - t0) / 1000))}  (${deliveries} deliveries, last one ${((tDone - t0) / 1000).toFixed(1)} s after the first accept)`);
  console.log(`  accept-to-provider under full load: p50 ${percentile(lat1, 50)} ms, p99 ${percentile(lat1, 99)} ms`);
  console.log(`  delivery statuses: ${statuses.map((r) => `${r.status}${r.reason ? `/${r.reason}` : ''} ${r.n}`).join(', ')}`);
  console.log(`  accept-to-provider at ${RATE}/s offered: p50 ${percentile(lat2, 50)} ms, p99 ${percentile(lat2, 99)} ms  (${lat2.length} deliveries)`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    child.kill('SIGTERM');
    child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  });
