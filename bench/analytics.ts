/**
 * node dist/bench/analytics.js [--deliveries 1000000] [--postgres]
 * npm run bench -- --mode analytics [--deliveries 1000000]
 *
 * GET /v1/analytics at scale: bulk-inserts `deliveries` deliveries (two per notification) of one app
 * into a fresh SQLite file (or a fresh PostgreSQL database with --postgres) through the Store, spread
 * over the last 90 days with the daily mix 10:1:5 push:SMS:email, twenty templates, realistic statuses,
 * suppressions, opens and clicks and a few hundred bytes of content each, plus a second app's rows that
 * every query must step over. Then times typical analytics queries (the Store's one GROUP BY statement
 * and the row mapping, as the route runs them), each run five times: min and median.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createStore } from '../src/store/create-store.js';
import { newId } from '../src/domain/ids.js';
import { analyticsRow, DAY_MS, type AnalyticsDimension } from '../src/domain/analytics.js';
import type { DeliveriesRow, NotificationBundle, NotificationsRow, Store } from '../src/ports/store.js';
import { freshPostgres } from '../test/helpers/postgres.js';

const APP = 'bench-app';
const OTHER_APP = 'bench-other-app';
const PER_TRANSACTION = 10_000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A small deterministic generator, so every run writes the same log. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const CONTENT = JSON.stringify({ email: { subject: 'Your order has shipped', text: 'Hello, your order 8812 is on its way and arrives on Friday. '.repeat(4) } });

function makeDelivery(random: () => number, appId: string, n: NotificationsRow, k: number): DeliveriesRow {
  const r = random();
  const mix = Math.floor(random() * 16);
  const channel = mix < 10 ? 'push' : mix < 11 ? 'sms' : 'email';
  const provider = channel === 'push' ? (['apns', 'fcm', 'webpush'] as const)[k % 3] : channel === 'sms' ? (r < 0.8 ? 'twilio' : 'vonage') : r < 0.9 ? 'sendgrid' : 'smtp';
  // 60 % sent, 22 % delivered, 3 % failed, 2 % bounced after sending, 8 % suppressed, 2 % open, 3 % cancelled/expired.
  let status = 'sent';
  let reason: string | null = null;
  if (r < 0.22) status = 'delivered';
  else if (r < 0.25) [status, reason] = ['failed', 'invalid_recipient'];
  else if (r < 0.27) [status, reason] = ['failed', 'bounced'];
  else if (r < 0.35) [status, reason] = ['suppressed', (['opted_out', 'rate_limited', 'no_contact', 'unsubscribed'] as const)[Math.floor(random() * 4)]];
  else if (r < 0.37) status = random() < 0.5 ? 'queued' : 'scheduled';
  else if (r < 0.4) status = random() < 0.5 ? 'cancelled' : 'expired';
  const reached = status === 'sent' || status === 'delivered' || reason === 'bounced';
  const opened = reached && channel !== 'sms' && random() < 0.3;
  return {
    id: newId(),
    app_id: appId,
    notification_id: n.id,
    user_id: n.user_id,
    device_id: null,
    channel,
    platform: channel === 'push' ? (['ios', 'android', 'web'] as const)[k % 3] : null,
    provider,
    to_addr: channel === 'email' ? `${n.user_id}@example.com` : channel === 'sms' ? '+14155552671' : 'device-token',
    status,
    reason,
    content: status === 'suppressed' ? null : CONTENT,
    category: n.category,
    priority_rank: 1,
    run_at: n.created_at,
    lease_until: null,
    attempts: reached ? 1 : 0,
    provider_message_id: reached ? `pm-${k}-${n.id}` : null,
    last_error: null,
    expires_at: null,
    created_at: n.created_at,
    updated_at: n.created_at,
    open_count: opened ? 1 + Math.floor(random() * 3) : 0,
    click_count: opened && channel === 'email' && random() < 0.4 ? 1 : 0,
  };
}

/** Two deliveries per notification, created in time order over the last `days` days, one transaction per 10,000. */
async function fill(store: Store, appId: string, deliveries: number, now: number, days: number, seed: number, progress: boolean): Promise<number> {
  const random = rng(seed);
  const notifications = Math.ceil(deliveries / 2);
  const span = days * DAY_MS;
  const t0 = Date.now();
  let written = 0;
  while (written < deliveries) {
    const bundles: NotificationBundle[] = [];
    let inBatch = 0;
    while (inBatch < PER_TRANSACTION && written + inBatch < deliveries) {
      const i = (written + inBatch) / 2;
      const template = `template_${Math.floor(random() * 20)}`;
      const created = now - span + Math.floor((i / notifications) * span);
      const n: NotificationsRow = {
        id: newId(),
        app_id: appId,
        idempotency_key: null,
        request_hash: null,
        response: null,
        user_id: `user-${Math.floor(random() * 100_000)}`,
        template,
        template_version: 1,
        category: ([null, 'transactional', 'marketing', 'onboarding', 'digest'] as const)[Math.floor(random() * 5)],
        priority: 'normal',
        status: 'accepted',
        send_at: null,
        expires_at: null,
        created_at: created,
      };
      const count = Math.min(2, deliveries - written - inBatch);
      bundles.push({ notification: n, deliveries: Array.from({ length: count }, (_, k) => makeDelivery(random, appId, n, k)), events: [] });
      inBatch += count;
    }
    await store.notifications.insert(bundles);
    written += inBatch;
    if (progress && (written % 100_000 < PER_TRANSACTION || written === deliveries)) {
      const s = (Date.now() - t0) / 1000;
      process.stderr.write(`\r  inserted ${written.toLocaleString('en')} / ${deliveries.toLocaleString('en')} deliveries (${Math.round(written / s).toLocaleString('en')}/s)   `);
    }
  }
  if (progress) process.stderr.write('\n');
  return (Date.now() - t0) / 1000;
}

interface Case {
  label: string;
  groupBy: AnalyticsDimension[];
  days: number;
}

const CASES: Case[] = [
  { label: 'totals, last 30 days', groupBy: [], days: 30 },
  { label: 'group_by=channel, last 30 days', groupBy: ['channel'], days: 30 },
  { label: 'group_by=template,channel, last 30 days', groupBy: ['template', 'channel'], days: 30 },
  { label: 'group_by=day,channel, last 30 days', groupBy: ['day', 'channel'], days: 30 },
  { label: 'group_by=template,channel,provider,day, 90 days', groupBy: ['template', 'channel', 'provider', 'day'], days: 90 },
  { label: 'group_by=template, last 24 hours', groupBy: ['template'], days: 1 },
];

export async function runAnalyticsBench(opts: { deliveries: number; postgres: boolean }): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-analytics-bench-'));
  const pg = opts.postgres ? await freshPostgres() : undefined;
  const file = path.join(dataDir, 'herald.db');
  const store = createStore(pg ? pg.url : `sqlite:${file}`);
  try {
    await store.migrate();
    const now = Date.now();
    console.log(`analytics bench on ${pg ? 'PostgreSQL' : 'SQLite'}: ${opts.deliveries.toLocaleString('en')} deliveries of one app over 90 days, ${Math.ceil(opts.deliveries / 2).toLocaleString('en')} notifications`);
    const seconds = await fill(store, APP, opts.deliveries, now, 90, 1, true);
    console.log(`  insert: ${seconds.toFixed(1)} s, ${Math.round(opts.deliveries / seconds).toLocaleString('en')} deliveries/s (through store.notifications.insert, ${PER_TRANSACTION.toLocaleString('en')} per transaction)`);
    // Another app's rows in the same tables and range: the app_id filter must keep them out cheaply.
    await fill(store, OTHER_APP, Math.ceil(opts.deliveries / 10), now, 90, 2, false);
    // PostgreSQL's autovacuum would have analysed tables this size; SQLite's planner runs without statistics in Herald.
    if (pg) await sql`ANALYZE`.execute(store.db);
    else console.log(`  SQLite file: ${(statSync(file).size / 1024 / 1024).toFixed(0)} MB (+ WAL)`);

    console.log('\nquery                                                  rows      min    median');
    for (const c of CASES) {
      const times: number[] = [];
      let rows = 0;
      let total = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const counts = await store.analytics.counts(APP, { groupBy: c.groupBy, since: now - c.days * DAY_MS, until: now + 1 });
        const out = counts.map((r) => analyticsRow(r, c.groupBy));
        times.push(performance.now() - t);
        rows = out.length;
        total = out.reduce((s, r) => s + r.total, 0);
      }
      times.sort((a, b) => a - b);
      const ms = (v: number) => `${v.toFixed(0).padStart(6)} ms`;
      console.log(`${c.label.padEnd(52)} ${String(rows).padStart(6)} ${ms(times[0])} ${ms(times[2])}   (${total.toLocaleString('en')} deliveries counted)`);
    }
  } finally {
    await store.close();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runAnalyticsBench({ deliveries: arg('deliveries', 1_000_000), postgres: process.argv.includes('--postgres') }).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
