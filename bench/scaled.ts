/**
 * npm run bench -- --mode scaled [--count 200000 --batch 500 --concurrency 4 --rate 1000 --seconds 10 --users 1000]
 *                              [--no-baseline | --no-herald] [--worker-concurrency 200] [--latency 20] [--lease-ms N]
 *
 * Herald scaled out against the queue a team would otherwise write, on the same machine, the same
 * provider emulators and the same clients:
 *  - bench/emulator-process.ts: APNs, FCM, Twilio, SendGrid emulators (20 ms latency) in their own process;
 *  - Herald: a fresh PostgreSQL database, Redis DB 7 (flushed at start and end) under a unique
 *    HERALD_QUEUE_PREFIX, 1 `herald api` + 2 `herald worker` processes with HERALD_SANDBOX=0 and the
 *    emulators' certificate in NODE_EXTRA_CA_CERTS, providers configured through PUT /v1/providers;
 *  - the baseline (bench/baseline/): Fastify + one BullMQ queue, 2 BullMQ worker processes calling the
 *    same emulators through Herald's adapters.
 * Phase 1 sends `count` notifications of the daily mix (10:1:5 push:sms:email) in batches from
 * `concurrency` clients, as fast as they are taken. Herald also gets phase 2: `rate`/s offered for
 * `seconds` s. Reported: accepted/s, delivered/s, accept-to-provider p50/p99 (Herald: the delivery's
 * created_at to the emulator's receive time), the queue depth every 2 s, peak RSS (VmHWM) per process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { EmulatorInfo, EmulatorStats } from './emulator-process.js';
import { BENCH_TEMPLATE, benchNotification, benchUser } from './baseline/shared.js';
import { freshPostgres } from '../test/helpers/postgres.js';
import { freePort } from '../test/helpers/child.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST_BENCH = path.join(ROOT, 'dist/bench');
const REDIS_URL = 'redis://127.0.0.1:6379/7';
const AUTH = `Basic ${Buffer.from('bench-key:bench-secret').toString('base64')}`;
const SAMPLE_MS = 2000;
const DONE_TIMEOUT_MS = 20 * 60_000;

export interface ScaledOptions {
  count: number;
  batch: number;
  concurrency: number;
  rate: number;
  seconds: number;
  users: number;
  baseline: boolean;
  /** false: the baseline only (for debugging it). */
  herald: boolean;
  workerConcurrency: number;
  latencyMs: number;
  /** HERALD_LEASE_MS for Herald's processes; 0 leaves Herald's default (30 s). */
  leaseMs: number;
}

interface Proc {
  name: string;
  child: ChildProcess;
  tail: () => string;
}

interface QueueRow {
  channel: string;
  depth: number;
  in_flight: number;
  scheduled?: number;
}

interface Sample {
  t: number;
  accepted: number;
  delivered: number;
  queues: QueueRow[];
}

interface Progress {
  delivered: number;
}

interface Target {
  name: string;
  url: string;
  progress(): Promise<Progress>;
  /**
   * What is still to be sent (Herald: queued or scheduled deliveries in the log; baseline: jobs waiting,
   * active or delayed). Polled once a second at the end of a phase; the end time is taken from the
   * log or the emulators, not from this poll.
   */
  open(): Promise<number>;
}

interface PhaseResult {
  /** Where the machine's CPU went during the phase (% of one core). */
  cpu: CpuShare;
  t0: number;
  tAccepted: number;
  tDone: number;
  accepted: number;
  deliveries: number;
  refused: number;
  samples: Sample[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const procs: Proc[] = [];

function spawnNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  // BENCH_CPU_PROF=dir: every process of the run writes a V8 CPU profile there when it stops.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${name.replace(/\W+/g, '-')}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...prof, script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stderr!.on('data', keep);
  child.on('exit', (code, signal) => {
    if (!stopping.has(child)) console.error(`\n${name} (pid ${child.pid}) exited unexpectedly (${signal ?? code}):\n${out}`);
  });
  const p: Proc = { name, child, tail: () => out };
  procs.push(p);
  return p;
}

/** Processes this bench is stopping on purpose (their exit is not news). */
const stopping = new Set<ChildProcess>();

async function stopProcs(list: Proc[]): Promise<void> {
  await Promise.all(
    list.map(
      (p) =>
        new Promise<void>((resolve) => {
          stopping.add(p.child);
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          const hard = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
          p.child.once('exit', () => {
            clearTimeout(hard);
            resolve();
          });
          p.child.kill('SIGTERM');
        }),
    ),
  );
  for (const p of list) {
    const i = procs.indexOf(p);
    if (i >= 0) procs.splice(i, 1);
  }
}

function firstLine(p: Proc, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${p.name} printed nothing within ${timeoutMs} ms:\n${p.tail()}`)), timeoutMs);
    rl.once('line', (line) => {
      clearTimeout(timer);
      rl.close();
      // Keep draining: a child whose stdout pipe fills up blocks.
      p.child.stdout!.resume();
      resolve(line);
    });
    p.child.once('exit', () => reject(new Error(`${p.name} exited before it was ready:\n${p.tail()}`)));
  });
}


async function waitForHttp(url: string, p: Proc, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited:\n${p.tail()}`);
    if (Date.now() > end) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${p.tail()}`);
    await sleep(100);
  }
}

async function call(url: string, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(url + route, { method, headers: { authorization: AUTH, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${route}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Peak resident set size of a process, from /proc/<pid>/status (kB → MB). */
function vmHwmMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

/** Busy jiffies of the whole machine (/proc/stat) and of process groups (/proc/<pid>/stat utime+stime). */
interface CpuSnapshot {
  at: number;
  machine: number;
  /** irq, softirq and steal: not charged to any process (loopback networking lands here). */
  kernel: number;
  /** pid → utime+stime, per group. */
  bench: Map<number, number>;
  /** The processes under test: Herald's or the baseline's (everything spawned but the emulators). */
  service: Map<number, number>;
  postgres: Map<number, number>;
  redis: Map<number, number>;
}

export interface CpuShare {
  machine: number;
  kernel: number;
  bench: number;
  postgres: number;
  redis: number;
  others: number;
  /**
   * CPU seconds used by the system under test: its own node processes (not the emulators, not this
   * driver), PostgreSQL and Redis. Unlike the shares, it hardly moves when something else loads the machine.
   */
  serviceCpuS: { node: number; postgres: number; redis: number };
}

const TICKS = 100; // USER_HZ on Linux

function processJiffies(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of the line (utime, stime); f[0] is field 3.
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** PostgreSQL's or Redis's processes, which this bench and anything else on the machine share. */
function pidsOf(match: (comm: string) => boolean): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (match(readFileSync(`/proc/${d}/comm`, 'utf8').trim())) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

function cpuSnapshot(): CpuSnapshot {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line;
  const jiffies = (pids: number[]) => new Map(pids.map((pid) => [pid, processJiffies(pid)]));
  const bench = jiffies([process.pid, ...procs.map((p) => p.child.pid ?? 0)]);
  const service = jiffies(procs.filter((p) => !p.name.startsWith('emulator')).map((p) => p.child.pid ?? 0));
  const postgres = jiffies(pidsOf((c) => c === 'postgres'));
  const redis = jiffies(pidsOf((c) => c.startsWith('redis-server')));
  const kernel = irq + softirq + (steal ?? 0);
  return { at: Date.now(), machine: user + nice + system + kernel, kernel, bench, service, postgres, redis };
}

/** CPU used between the snapshots by the processes alive at the second (those gone meanwhile are not counted). */
function groupDelta(a: Map<number, number>, b: Map<number, number>): number {
  let n = 0;
  for (const [pid, j] of b) n += Math.max(0, j - (a.get(pid) ?? 0));
  return n;
}

function cpuShare(a: CpuSnapshot, b: CpuSnapshot): CpuShare {
  const s = (b.at - a.at) / 1000;
  const pct = (j: number) => Math.round((j / TICKS / s) * 100);
  const machine = pct(b.machine - a.machine);
  const bench = pct(groupDelta(a.bench, b.bench));
  const postgres = pct(groupDelta(a.postgres, b.postgres));
  const redis = pct(groupDelta(a.redis, b.redis));
  const kernel = pct(b.kernel - a.kernel);
  const secs = (j: number) => j / TICKS;
  return {
    machine,
    kernel,
    bench,
    postgres,
    redis,
    others: Math.max(0, machine - bench - postgres - redis - kernel),
    serviceCpuS: { node: secs(groupDelta(a.service, b.service)), postgres: secs(groupDelta(a.postgres, b.postgres)), redis: secs(groupDelta(a.redis, b.redis)) },
  };
}

/** The phase's CPU cost of the system under test per 1,000 notifications (load-independent, unlike /s figures). */
const costText = (c: CpuShare, notifications: number) => {
  const per = (x: number) => ((x * 1000) / notifications).toFixed(2);
  const { node, postgres, redis } = c.serviceCpuS;
  return `${per(node + postgres + redis)} CPU-s per 1,000 notifications (its node processes ${per(node)}, PostgreSQL ${per(postgres)}, Redis ${per(redis)})`;
};

const cpuText = (c: CpuShare) =>
  `machine ${c.machine}% busy of ${cpus().length * 100}%: this bench's node processes ${c.bench}%, PostgreSQL ${c.postgres}%, Redis ${c.redis}%, irq/softirq ${c.kernel}%, other processes ${c.others}%`;

let seq = 0;

/**
 * Phase 1: `count` notifications in batches from `concurrency` clients, sampling progress and queue
 * depth every 2 s until nothing is left to send.
 */
async function throughput(target: Target, o: ScaledOptions): Promise<PhaseResult> {
  seq = 0;
  console.log(`\n[${target.name}] phase 1: ${fmt(o.count)} notifications in batches of ${o.batch}, ${o.concurrency} clients (load avg ${load()})`);
  const cpu0 = cpuSnapshot();
  const t0 = Date.now();
  let accepted = 0;
  let deliveries = 0;
  let refused = 0;
  let sent = 0;
  let tAccepted = 0;
  const samples: Sample[] = [];
  const sample = async (): Promise<void> => {
    const [p, q] = await Promise.all([target.progress(), call(target.url, 'GET', '/v1/queues').catch(() => ({ channels: [] }))]);
    const t = Date.now() - t0;
    const prev = samples[samples.length - 1];
    samples.push({ t, accepted, delivered: p.delivered, queues: q.channels as QueueRow[] });
    const dt = prev ? (t - prev.t) / 1000 : t / 1000;
    const queues = (q.channels as QueueRow[]).map((c) => `${c.channel} ${c.depth}/${c.in_flight}`).join(' ');
    process.stdout.write(
      `\r  ${(t / 1000).toFixed(0).padStart(4)} s  accepted ${fmt(accepted)} (${fmt((accepted - (prev?.accepted ?? 0)) / dt)}/s)  ` +
        `delivered ${fmt(p.delivered)} (${fmt((p.delivered - (prev?.delivered ?? 0)) / dt)}/s)  queue ${queues}   `,
    );
  };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const due = t0 + (samples.length + 1) * SAMPLE_MS;
      await sleep(Math.max(0, due - Date.now()));
      if (!sampling) break;
      await sample().catch((err) => process.stdout.write(`\n  sample failed: ${(err as Error).message}\n`));
    }
  })();
  const client = async () => {
    while (sent < o.count) {
      const n = Math.min(o.batch, o.count - sent);
      sent += n;
      const notifications = Array.from({ length: n }, () => benchNotification(seq++, o.users));
      try {
        const r = await call(target.url, 'POST', '/v1/notifications/batch', { notifications });
        for (const x of r.results as { id?: string; deliveries?: unknown[] }[]) {
          if (!x.id) continue;
          accepted++;
          deliveries += x.deliveries?.length ?? 1;
        }
      } catch (err) {
        refused += n;
        if (refused <= 5 * o.batch) process.stdout.write(`\n  batch refused: ${(err as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  tAccepted = Date.now();
  const deadline = tAccepted + DONE_TIMEOUT_MS;
  for (;;) {
    await sleep(1000);
    const open = await target.open();
    if (open === 0) break;
    if (Date.now() > deadline) {
      process.stdout.write(`\n  giving up: ${open} still open ${DONE_TIMEOUT_MS / 60_000} min after the last accept\n`);
      break;
    }
  }
  sampling = false;
  await sampler;
  await sample().catch(() => undefined);
  const cpu = cpuShare(cpu0, cpuSnapshot());
  process.stdout.write(`\n  CPU during the phase: ${cpuText(cpu)}\n`);
  return { cpu, t0, tAccepted, tDone: Date.now(), accepted, deliveries, refused, samples };
}

/** Phase 2: `rate`/s offered for `seconds` s, in batches every 100 ms; returns [start, end]. */
async function steady(target: Target, o: ScaledOptions): Promise<[number, number, CpuShare]> {
  console.log(`[${target.name}] phase 2: ${o.rate}/s offered for ${o.seconds} s (batches of ${o.rate / 10} every 100 ms; load avg ${load()})`);
  const cpu0 = cpuSnapshot();
  const p0 = Date.now();
  const ticks: Promise<void>[] = [];
  for (let t = 0; t < o.seconds * 10; t++) {
    const notifications = Array.from({ length: o.rate / 10 }, () => benchNotification(seq++, o.users));
    ticks.push(
      call(target.url, 'POST', '/v1/notifications/batch', { notifications }).then(
        () => undefined,
        (err) => void process.stdout.write(`\n  batch refused: ${(err as Error).message}\n`),
      ),
    );
    await sleep(Math.max(0, p0 + (t + 1) * 100 - Date.now()));
    if (t % 10 === 9) process.stdout.write(`\r  ${((Date.now() - p0) / 1000).toFixed(0)} s`);
  }
  await Promise.all(ticks);
  const p1 = Date.now();
  const deadline = p1 + DONE_TIMEOUT_MS;
  while ((await target.open()) > 0 && Date.now() < deadline) await sleep(500);
  const cpu = cpuShare(cpu0, cpuSnapshot());
  process.stdout.write(`\n  CPU during the phase: ${cpuText(cpu)}\n`);
  return [p0, p1 + 1, cpu];
}

/** Every 2 s sample, thinned to at most ~24 rows, with the rates over each printed interval. */
function printQueueTable(samples: Sample[]): void {
  if (!samples.length) return;
  const channels = [...new Set(samples.flatMap((s) => s.queues.map((q) => q.channel)))];
  const step = Math.max(1, Math.ceil(samples.length / 24));
  const rows = samples.filter((_, i) => i % step === step - 1 || i === samples.length - 1);
  console.log(`  queue depth / in flight every ${(step * SAMPLE_MS) / 1000} s:`);
  console.log(`  ${'t (s)'.padStart(6)} ${'accepted/s'.padStart(11)} ${'delivered/s'.padStart(12)}  ${channels.map((c) => `${c} depth/in-flight`.padStart(24)).join('')}`);
  let prev = { t: 0, accepted: 0, delivered: 0 };
  for (const s of rows) {
    const dt = (s.t - prev.t) / 1000 || 1;
    const q = channels.map((c) => {
      const r = s.queues.find((x) => x.channel === c);
      return (r ? `${r.depth}/${r.in_flight}` : '-').padStart(24);
    });
    console.log(`  ${(s.t / 1000).toFixed(0).padStart(6)} ${fmt((s.accepted - prev.accepted) / dt).padStart(11)} ${fmt((s.delivered - prev.delivered) / dt).padStart(12)}  ${q.join('')}`);
    prev = s;
  }
}

async function emulatorStats(info: EmulatorInfo): Promise<EmulatorStats> {
  return (await fetch(`${info.control}/stats`)).json() as Promise<EmulatorStats>;
}

/** Receive time per key (delivery id or provider message id), first receipt kept. */
async function emulatorTimes(info: EmulatorInfo): Promise<Map<string, number>> {
  const text = await (await fetch(`${info.control}/times`)).text();
  const times = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    const key = line.slice(0, sp);
    if (!times.has(key)) times.set(key, Number(line.slice(sp + 1)));
  }
  return times;
}

/** Accept-to-provider of Herald's deliveries created in [from, to): created_at → the emulator's receive time. */
async function heraldLatencies(db: pg.Client, times: Map<string, number>, from: number, to: number): Promise<{ sorted: number[]; unmatched: number }> {
  const r = await db.query<{ id: string; provider_message_id: string | null; created_at: string }>(
    `select id, provider_message_id, created_at from deliveries where status in ('sent', 'delivered') and created_at >= $1 and created_at < $2`,
    [from, to],
  );
  const out: number[] = [];
  let unmatched = 0;
  for (const row of r.rows) {
    const at = times.get(row.id) ?? (row.provider_message_id ? times.get(row.provider_message_id) : undefined);
    if (at === undefined) unmatched++;
    else out.push(at - Number(row.created_at));
  }
  return { sorted: out.sort((a, b) => a - b), unmatched };
}

/** A fresh database for one run (the tests' helper, named so leftovers are recognisable). */
const createDatabase = () => freshPostgres('herald_bench');

interface HeraldFigures {
  phase: PhaseResult;
  deliveredPerSec: number;
  sent: number;
  lastSentAfterS: number;
  statuses: string;
  emulatorReceived: number;
  lat1: { sorted: number[]; unmatched: number };
  lat2: { sorted: number[]; unmatched: number };
  cpu2: CpuShare;
  memory: [string, number][];
}

async function runHerald(o: ScaledOptions, info: EmulatorInfo, runDir: string, dbUrl: string): Promise<HeraldFigures> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HERALD_DATA_DIR: path.join(runDir, 'herald'),
    HERALD_HOST: '127.0.0.1',
    HERALD_PORT: String(port),
    HERALD_PUBLIC_URL: url,
    HERALD_DATABASE_URL: dbUrl,
    HERALD_QUEUE_URL: REDIS_URL,
    HERALD_QUEUE_PREFIX: `herald-bench-${randomBytes(4).toString('hex')}`,
    HERALD_SANDBOX: '0',
    // The providers are the emulators on loopback: a tenant's endpoints may reach it only with the operator's flag (SPEC §11).
    HERALD_ALLOW_PRIVATE_NETWORKS: '1',
    HERALD_SECRET_KEY: randomBytes(32).toString('hex'),
    HERALD_BOOTSTRAP_KEY: 'bench-key',
    HERALD_BOOTSTRAP_SECRET: 'bench-secret',
    HERALD_LOG_LEVEL: 'warn',
    NODE_EXTRA_CA_CERTS: info.ca_file,
    ...(o.leaseMs > 0 ? { HERALD_LEASE_MS: String(o.leaseMs) } : {}),
  };
  const bin = path.join(ROOT, 'bin/herald.js');
  const api = spawnNode('herald api', bin, ['api'], env);
  api.child.stdout!.resume();
  await waitForHttp(`${url}/readyz`, api);
  const workers = [spawnNode('herald worker 1', bin, ['worker'], env), spawnNode('herald worker 2', bin, ['worker'], env)];
  for (const w of workers) w.child.stdout!.resume();
  const mine = [api, ...workers];
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    await call(url, 'PUT', '/v1/settings', { api_rate_limit: { limit: 100_000_000, window_s: 60 } });
    for (const name of ['apns', 'fcm', 'twilio', 'sendgrid'] as const) await call(url, 'PUT', `/v1/providers/${name}`, info.providers[name]);
    await call(url, 'PUT', '/v1/templates/bench', BENCH_TEMPLATE);
    const t = Date.now();
    for (let u = 0; u < o.users; u += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, o.users - u) }, async (_, k) => {
          const user = benchUser(u + k);
          await call(url, 'PUT', `/v1/users/${user.id}`, { name: user.name, email: user.email, phone: user.phone });
          await call(url, 'POST', `/v1/users/${user.id}/devices`, { platform: user.platform, token: user.token });
        }),
      );
    }
    console.log(`[herald] ${o.users} users with a device, a phone and an address in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    // Open deliveries are in the partial claim index, so that count stays cheap however big the log gets.
    const open = async () => (await db.query<{ n: number }>(`select count(*)::int n from deliveries where status in ('queued', 'scheduled')`)).rows[0].n;
    // Progress as the baseline's is counted: what the emulators received (a count of sent rows would
    // scan the growing deliveries table every sample, on the CPU the run is measuring).
    const progress = async (): Promise<Progress> => ({ delivered: (await emulatorStats(info)).total });
    const target: Target = { name: 'herald', url, progress, open };
    const phase = await throughput(target, o);
    const agg = await db.query<{ n: number; last: string | null }>(
      `select count(*)::int n, max(updated_at) as last from deliveries where status in ('sent', 'delivered') and created_at >= $1 and created_at <= $2`,
      [phase.t0, phase.tAccepted],
    );
    const sent = agg.rows[0].n;
    const lastSent = Number(agg.rows[0].last ?? phase.tDone);
    const statusRows = await db.query<{ status: string; reason: string | null; n: number }>(`select status, reason, count(*)::int n from deliveries group by status, reason order by n desc`);
    const statuses = statusRows.rows.map((r) => `${r.status}${r.reason ? `/${r.reason}` : ''} ${r.n}`).join(', ');
    const emulatorReceived = (await emulatorStats(info)).total;
    printQueueTable(phase.samples);

    const [p0, p1, cpu2] = await steady(target, o);
    const times = await emulatorTimes(info);
    const lat1 = await heraldLatencies(db, times, phase.t0, phase.tAccepted + 1);
    const lat2 = await heraldLatencies(db, times, p0, p1);
    const memory: [string, number][] = mine.map((p) => [p.name, vmHwmMb(p.child.pid)]);
    return {
      phase,
      deliveredPerSec: sent / ((lastSent - phase.t0) / 1000),
      sent,
      lastSentAfterS: (lastSent - phase.t0) / 1000,
      statuses,
      emulatorReceived,
      lat1,
      lat2,
      cpu2,
      memory,
    };
  } finally {
    await db.end().catch(() => undefined);
    await stopProcs(mine);
  }
}

interface BaselineFigures {
  phase: PhaseResult;
  deliveredPerSec: number;
  received: number;
  lastAfterS: number;
  failedJobs: number;
  memory: [string, number][];
}

async function runBaseline(o: ScaledOptions, info: EmulatorInfo): Promise<BaselineFigures> {
  await fetch(`${info.control}/reset`, { method: 'POST' });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BASELINE_PORT: String(port),
    BASELINE_REDIS_URL: REDIS_URL,
    BASELINE_QUEUE_PREFIX: `baseline-bench-${randomBytes(4).toString('hex')}`,
    BASELINE_AUTH: AUTH,
    BASELINE_PROVIDERS: JSON.stringify(info.providers),
    BASELINE_CONCURRENCY: String(o.workerConcurrency),
    NODE_EXTRA_CA_CERTS: info.ca_file,
  };
  const api = spawnNode('baseline api', path.join(DIST_BENCH, 'baseline/api.js'), [], env);
  const workers = [1, 2].map((i) => spawnNode(`baseline worker ${i}`, path.join(DIST_BENCH, 'baseline/worker.js'), [], env));
  const mine = [api, ...workers];
  try {
    await Promise.all(mine.map((p) => firstLine(p)));
    await waitForHttp(`${url}/healthz`, api);
    let failedJobs = 0;
    const progress = async (): Promise<Progress> => ({ delivered: (await emulatorStats(info)).total });
    const open = async (): Promise<number> => {
      const c = (await call(url, 'GET', '/v1/queues')).channels[0] as QueueRow & { scheduled: number; dead: number };
      failedJobs = c.dead;
      return c.depth + c.in_flight + c.scheduled;
    };
    const phase = await throughput({ name: 'baseline', url, progress, open }, o);
    const stats = await emulatorStats(info);
    printQueueTable(phase.samples);
    const memory: [string, number][] = mine.map((p) => [p.name, vmHwmMb(p.child.pid)]);
    return {
      phase,
      deliveredPerSec: stats.total / ((stats.last - phase.t0) / 1000),
      received: stats.total,
      lastAfterS: (stats.last - phase.t0) / 1000,
      failedJobs,
      memory,
    };
  } finally {
    await stopProcs(mine);
  }
}

export async function runScaledBench(o: ScaledOptions): Promise<void> {
  const runDir = mkdtempSync(path.join(tmpdir(), 'herald-bench-scaled-'));
  let dbHandle: { url: string; drop: () => Promise<void> } | undefined;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  let emulator: Proc | undefined;
  const onSignal = () => void cleanup().then(() => process.exit(130));
  let cleaned = false;
  async function cleanup(): Promise<void> {
    if (cleaned) return;
    cleaned = true;
    await stopProcs([...procs]).catch(() => undefined);
    await dbHandle?.drop().catch((err) => console.error(`could not drop the bench database: ${(err as Error).message}`));
    await redis.flushdb().catch(() => undefined);
    redis.disconnect();
    rmSync(runDir, { recursive: true, force: true });
  }
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!o.herald && !o.baseline) throw new Error('--no-herald and --no-baseline leave nothing to measure');
    console.log(`scaled bench: ${fmt(o.count)} notifications, mix 10:1:5 push:sms:email, ${o.users} users; load avg at start ${load()}`);
    emulator = spawnNode('emulators', path.join(DIST_BENCH, 'emulator-process.js'), ['--latency', String(o.latencyMs), '--ca-file', path.join(runDir, 'emulators-ca.pem')], process.env);
    const info = JSON.parse(await firstLine(emulator)) as EmulatorInfo;
    console.log(`emulators (pid ${info.pid}, latency ${info.latency_ms} ms): ${Object.entries(info.providers).map(([k, v]) => `${k} ${String(v.endpoint)}`).join(', ')}`);
    dbHandle = await createDatabase();
    await redis.connect();
    await redis.flushdb();

    const herald = o.herald ? await runHerald(o, info, runDir, dbHandle.url) : undefined;
    const baseline = o.baseline ? await runBaseline(o, info) : undefined;
    const emulatorMem = vmHwmMb(emulator.child.pid);

    console.log(`\nresults (load avg at end ${load()}; ${cpus().length} cores; providers: emulators in their own process, ${info.latency_ms} ms latency)`);
    const h = herald?.phase;
    const hAcceptS = h ? (h.tAccepted - h.t0) / 1000 : NaN;
    if (herald && h) {
      console.log(`Herald scaled: 1 api + 2 worker processes, PostgreSQL, Redis/BullMQ${o.leaseMs > 0 ? `, HERALD_LEASE_MS=${o.leaseMs}` : ''}`);
      console.log(`  accepted/s:   ${fmt(h.accepted / hAcceptS)}  (${fmt(h.accepted)} notifications in ${hAcceptS.toFixed(1)} s${h.refused ? `, ${fmt(h.refused)} refused` : ''})`);
      console.log(`  delivered/s:  ${fmt(herald.deliveredPerSec)}  (${fmt(herald.sent)} deliveries sent, the last ${herald.lastSentAfterS.toFixed(1)} s after the first request; emulators received ${fmt(herald.emulatorReceived)})`);
      console.log(`  accept-to-provider under full load: p50 ${fmt(percentile(herald.lat1.sorted, 50))} ms, p99 ${fmt(percentile(herald.lat1.sorted, 99))} ms  (${fmt(herald.lat1.sorted.length)} matched, ${herald.lat1.unmatched} unmatched)`);
      console.log(`  accept-to-provider at ${o.rate}/s offered for ${o.seconds} s: p50 ${fmt(percentile(herald.lat2.sorted, 50))} ms, p99 ${fmt(percentile(herald.lat2.sorted, 99))} ms  (${fmt(herald.lat2.sorted.length)} deliveries)`);
      console.log(`  delivery statuses: ${herald.statuses}`);
      console.log(`  CPU during phase 1: ${cpuText(h.cpu)}`);
      console.log(`  cost in phase 1: ${costText(h.cpu, h.accepted)}`);
      console.log(`  CPU during the ${o.rate}/s phase: ${cpuText(herald.cpu2)}`);
      console.log(`  peak memory (VmHWM): ${herald.memory.map(([n, mb]) => `${n} ${mb} MB`).join(', ')}`);
      console.log(`  the day's 16M (10M push, 1M SMS, 5M email) in ${(16_000_000 / herald.deliveredPerSec / 3600).toFixed(2)} hours of this machine's time`);
    }
    if (baseline) {
      const b = baseline.phase;
      const bAcceptS = (b.tAccepted - b.t0) / 1000;
      console.log(`Baseline: Fastify + BullMQ (1 api + 2 worker processes, concurrency ${o.workerConcurrency} each), Herald's adapters, no log`);
      console.log(`  accepted/s:   ${fmt(b.accepted / bAcceptS)}  (${fmt(b.accepted)} notifications in ${bAcceptS.toFixed(1)} s${b.refused ? `, ${fmt(b.refused)} refused` : ''})`);
      console.log(`  delivered/s:  ${fmt(baseline.deliveredPerSec)}  (${fmt(baseline.received)} received by the emulators, the last ${baseline.lastAfterS.toFixed(1)} s after the first request; ${baseline.failedJobs} jobs failed)`);
      console.log(`  CPU during phase 1: ${cpuText(b.cpu)}`);
      console.log(`  cost in phase 1: ${costText(b.cpu, b.accepted)}`);
      console.log(`  peak memory (VmHWM): ${baseline.memory.map(([n, mb]) => `${n} ${mb} MB`).join(', ')}`);
      if (herald && h) {
        console.log(`Herald / baseline: delivered/s ${(herald.deliveredPerSec / baseline.deliveredPerSec).toFixed(2)} (goal ≥ 1.0), accepted/s ${(h.accepted / hAcceptS / (b.accepted / bAcceptS)).toFixed(2)}`);
        const total = (c: CpuShare, n: number) => (c.serviceCpuS.node + c.serviceCpuS.postgres + c.serviceCpuS.redis) / n;
        console.log(`Baseline / Herald: CPU per notification ${(total(b.cpu, b.accepted) / total(h.cpu, h.accepted)).toFixed(2)} (1.0 = the same cost; the figure other load on the machine moves least)`);
      }
    }
    console.log(`emulator process peak memory (VmHWM): ${emulatorMem} MB; bench driver: ${vmHwmMb(process.pid)} MB`);
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
