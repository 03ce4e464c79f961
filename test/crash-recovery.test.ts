import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { basic, eventually } from './helpers/herald.js';
import { freePort, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';

const TOTAL = 3000;
const BATCH = 100;
const TERMINAL = new Set(['sent', 'delivered', 'failed', 'suppressed', 'cancelled', 'expired']);

/**
 * No loss: a real `herald serve` is killed with SIGKILL while it accepts and delivers; restarted on the
 * same data it must bring every accepted notification to a terminal status, each with at least one
 * provider call (the sandbox appends every call to data/sandbox-outbox.jsonl, which survives the kill).
 */
describe('kill -9 mid-flight', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loses nothing that was accepted', async () => {
    const port = await freePort();
    const env = {
      HERALD_DATA_DIR: dataDir,
      HERALD_PORT: String(port),
      HERALD_BOOTSTRAP_KEY: 'crash-key',
      HERALD_BOOTSTRAP_SECRET: 'crash-secret',
      HERALD_LEASE_MS: '1000',
      HERALD_LOG_LEVEL: 'error',
    };
    const url = `http://127.0.0.1:${port}`;
    const auth = basic('crash-key', 'crash-secret');

    let child = spawnHerald(['serve'], env);
    await waitForHttp(`${url}/healthz`);

    const accepted = new Map<string, string[]>(); // notification id -> delivery ids
    let refused = 0;
    let killed = false;
    const sendBatch = async (b: number) => {
      const notifications = Array.from({ length: BATCH }, (_, i) => ({
        event_id: `crash-${b}-${i}`,
        to: { email: `user${b * BATCH + i}@example.com` },
        content: { email: { subject: 'crash test', text: `message ${b}/${i}` } },
        priority: i % 10 === 0 ? 'high' : 'normal',
      }));
      try {
        const res = await fetch(`${url}/v1/notifications/batch`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ notifications }),
        });
        const body = (await res.json()) as { results: { id: string; deliveries: { id: string }[] }[] };
        for (const r of body.results) accepted.set(r.id, r.deliveries.map((d) => d.id));
      } catch {
        refused++; // the process died before answering: nothing was acknowledged
      }
    };

    // Four clients in parallel; the process is killed once a third of the batches were acknowledged,
    // while other batches are still being written and deliveries are in flight.
    let next = 0;
    const client = async () => {
      while (!killed && next < TOTAL / BATCH) {
        await sendBatch(next++);
        if (!killed && accepted.size >= TOTAL / 3) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    await waitForExit(child);
    expect(killed).toBe(true);
    const acceptedBeforeKill = accepted.size;

    // Restart on the same data; the leases the dead process held run out and the work is taken up again.
    // The rest of the notifications go to the new process.
    child = spawnHerald(['serve'], env);
    await waitForHttp(`${url}/healthz`);
    while (next < TOTAL / BATCH) await sendBatch(next++);

    const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true });
    const deliveryIds = [...accepted.values()].flat();
    const statusOf = db.prepare('select status from deliveries where id = ?');
    try {
      await eventually(
        async () => deliveryIds.every((id) => TERMINAL.has((statusOf.get(id) as { status: string } | undefined)?.status ?? 'missing')),
        60_000,
        250,
      );
    } finally {
      const missing = deliveryIds.filter((id) => !statusOf.get(id));
      expect(missing).toEqual([]);
    }

    const calls = new Map<string, number>();
    const outbox = path.join(dataDir, 'sandbox-outbox.jsonl');
    expect(existsSync(outbox)).toBe(true);
    for (const line of readFileSync(outbox, 'utf8').split('\n')) {
      if (!line) continue;
      const id = (JSON.parse(line) as { deliveryId: string }).deliveryId;
      calls.set(id, (calls.get(id) ?? 0) + 1);
    }
    const notCalled = deliveryIds.filter((id) => !calls.get(id));
    const duplicates = deliveryIds.reduce((n, id) => n + Math.max(0, (calls.get(id) ?? 0) - 1), 0);
    const statuses = db.prepare(`select status, count(*) n from deliveries group by status`).all();
    db.close();
    console.log(
      `crash test: ${accepted.size} notifications accepted (${acceptedBeforeKill} before the kill, ${refused} batches cut off by it); ` +
        `${deliveryIds.length} deliveries all terminal after restart; provider calls missing: ${notCalled.length}; duplicates: ${duplicates}; ` +
        `statuses ${JSON.stringify(statuses)}`,
    );
    expect(notCalled).toEqual([]);
    child.kill('SIGTERM');
    await waitForExit(child);
  });
});
