import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { duplicatesAmong, startCountingSendgrid } from './helpers/counting-sendgrid.js';
import { basic, eventually, request } from './helpers/herald.js';
import { freePort, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';

const TOTAL = 3000;
const BATCH = 100;
const TERMINAL = new Set(['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired']);
/** Answers this close before the kill may not be committed yet (group commit: ≤ 10 ms plus the commit). */
const COMMIT_WINDOW_MS = 100;

/**
 * Duplicates only for what was in flight (issue 13): a real `herald serve` sends email to a SendGrid
 * emulator in this process, 20 ms away with one request in forty taking 1.5 s, and is killed with
 * SIGKILL once 1,000 requests have reached it. After a restart every delivery ends terminal, and the
 * deliveries sent twice are at most the requests the emulator had not answered at the kill plus those
 * it answered in the last COMMIT_WINDOW_MS. An engine that records a batch after its slowest request
 * fails this by hundreds: the answered-but-unrecorded requests behind a slow one are sent again.
 */
describe('kill -9 under load: duplicates', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-dups-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('are at most the requests in flight at the kill', async () => {
    const { sendgrid, calls, answers } = await startCountingSendgrid();
    const port = await freePort();
    const env = {
      HERALD_DATA_DIR: dataDir,
      HERALD_PORT: String(port),
      HERALD_BOOTSTRAP_KEY: 'dups-key',
      HERALD_BOOTSTRAP_SECRET: 'dups-secret',
      HERALD_SANDBOX: '0',
      HERALD_ALLOW_PRIVATE_NETWORKS: '1',
      HERALD_LEASE_MS: '2000',
      HERALD_LOG_LEVEL: 'error',
    };
    const url = `http://127.0.0.1:${port}`;
    const auth = basic('dups-key', 'dups-secret');
    let child = spawnHerald(['serve'], env);
    try {
      await waitForHttp(`${url}/healthz`);
      expect((await request(url, auth, 'PUT', '/v1/providers/sendgrid', { api_key: sendgrid.apiKey, from: 'shop@example.com', endpoint: sendgrid.url })).status).toBe(200);

      const accepted: string[] = [];
      let next = 0;
      let killedAt = 0;
      const sendBatch = async (b: number) => {
        const notifications = Array.from({ length: BATCH }, (_, i) => ({
          event_id: `dups-${b}-${i}`,
          to: { email: `user${b * BATCH + i}@example.com` },
          content: { email: { subject: 'dups', text: `message ${b}/${i}` } },
        }));
        try {
          const r = await request(url, auth, 'POST', '/v1/notifications/batch', { notifications });
          for (const x of r.body.results as { deliveries: { id: string }[] }[]) accepted.push(...x.deliveries.map((d) => d.id));
        } catch {
          // the process died before answering: nothing was acknowledged
        }
      };
      // Clients keep the API busy while the worker sends; the kill comes once 1,000 requests reached the provider.
      const client = async () => {
        while (!killedAt && next < TOTAL / BATCH) await sendBatch(next++);
      };
      const watcher = (async () => {
        while (!killedAt) {
          if (sendgrid.stats.requests >= 1000) {
            child.kill('SIGKILL');
            killedAt = Date.now();
          } else await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await Promise.all([client(), client(), client(), watcher]);
      await waitForExit(child);
      // Requests already written to the socket reach the emulator a moment after the kill: still in flight at it.
      await new Promise((r) => setTimeout(r, 300));
      const answeredBefore = answers.filter((a) => a.at <= killedAt).length;
      const inFlight = sendgrid.stats.requests - answeredBefore;
      const recent = answers.filter((a) => a.at <= killedAt && a.at > killedAt - COMMIT_WINDOW_MS).length;

      child = spawnHerald(['serve'], env);
      await waitForHttp(`${url}/healthz`);
      while (next < TOTAL / BATCH) await sendBatch(next++);

      const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true });
      const statusOf = db.prepare('select status from deliveries where id = ?');
      let marked: Set<string>;
      try {
        await eventually(async () => accepted.every((id) => TERMINAL.has((statusOf.get(id) as { status: string } | undefined)?.status ?? 'missing')), 60_000, 250);
        marked = new Set((db.prepare(`select delivery_id from events where type = 'lease_expired'`).all() as { delivery_id: string }[]).map((r) => r.delivery_id));
      } finally {
        db.close();
      }
      const { extra: duplicates, twice, never: notCalled } = duplicatesAmong(accepted, calls);
      console.log(
        `kill -9 duplicates: ${accepted.length} deliveries accepted; at the kill ${inFlight} requests in flight and ${recent} answered in the last ${COMMIT_WINDOW_MS} ms; ` +
          `sent twice after the restart: ${duplicates}; never sent: ${notCalled}`,
      );
      expect(notCalled).toBe(0);
      expect(duplicates).toBeLessThanOrEqual(inFlight + recent);
      // Every delivery that may have gone out twice says so in its timeline.
      expect(twice.filter((id) => !marked.has(id))).toEqual([]);
      console.log(`lease_expired in the timeline of ${marked.size} deliveries, every one of the ${twice.length} sent twice among them`);
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
      await sendgrid.close();
    }
  });
});
