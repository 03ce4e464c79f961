import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { webhooksSuite } from './webhooks.suite.js';
import { basic, eventually, startTestHerald, type TestHerald } from './helpers/herald.js';
import { freePort, spawnHerald, waitForExit, waitForHttp } from './helpers/child.js';
import { firstArrivals, startReceiver } from './helpers/webhook-receiver.js';

const SECRET = 'whsec_0123456789abcdef';

describe('webhooks on SQLite', () => webhooksSuite('sqlite'));

describe('webhook URLs without HERALD_ALLOW_PRIVATE_NETWORKS', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald('sqlite');
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('refuses loopback, private, link-local, CGNAT, unspecified, multicast and reserved addresses', async () => {
    const refused = [
      'http://127.0.0.1:8080/in',
      'http://localhost:8080/in', // a name: every address it resolves to is checked
      'http://[::1]/in',
      'http://10.1.2.3/in',
      'http://172.16.5.4/in',
      'https://192.168.1.10/in',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/in',
      'http://0.0.0.0:8080/in',
      'http://224.0.0.1/in',
      'http://255.255.255.255/in',
      'http://[fd12:3456::1]/in',
      'http://[fe80::1]/in',
      'http://[::ffff:127.0.0.1]/in',
      'http://[::]/in',
      'http://2130706433/in', // 127.0.0.1 written as one number
    ];
    for (const url of refused) {
      const r = await h.api('PUT', '/v1/webhooks/internal', { url, events: ['*'], secret: SECRET });
      expect(r.status, url).toBe(400);
      expect(r.body.error, url).toMatchObject({ code: 'invalid_endpoint', field: 'url' });
    }
    expect((await h.api('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
  });

  it('accepts a public address (no request is made at configuration time)', async () => {
    const r = await h.api('PUT', '/v1/webhooks/public', { url: 'https://93.184.215.14/in', events: ['*'], secret: SECRET });
    expect(r.status).toBe(201);
    expect((await h.api('DELETE', '/v1/webhooks/public')).status).toBe(204);
  });
});

describe('HERALD_WEBHOOK_ALLOW_PRIVATE, the old name of HERALD_ALLOW_PRIVATE_NETWORKS', () => {
  it('still lets webhooks reach loopback', async () => {
    const h = await startTestHerald('sqlite', { HERALD_WEBHOOK_ALLOW_PRIVATE: '1' });
    try {
      const r = await h.api('PUT', '/v1/webhooks/local', { url: 'http://127.0.0.1:9/in', events: ['*'], secret: SECRET });
      expect(r.status).toBe(201);
    } finally {
      await h.stop();
    }
  });
});

/**
 * The requirement: a webhook receiver sees every event after the sending process is killed
 * (SIGKILL) before everything was dispatched, and restarted on the same data.
 */
describe('webhooks across kill -9 of the sending process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'herald-webhook-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('brings every event of the sent notifications to the receiver after a restart', async () => {
    const port = await freePort();
    const env = {
      HERALD_DATA_DIR: dataDir,
      HERALD_PORT: String(port),
      HERALD_BOOTSTRAP_KEY: 'wh-crash-key',
      HERALD_BOOTSTRAP_SECRET: 'wh-crash-secret',
      HERALD_LEASE_MS: '1000',
      HERALD_RETRY_BASE_MS: '100',
      HERALD_LOG_LEVEL: 'error',
      HERALD_ALLOW_PRIVATE_NETWORKS: '1',
    };
    const url = `http://127.0.0.1:${port}`;
    const auth = basic('wh-crash-key', 'wh-crash-secret');
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(url + route, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };
    const wave = async (name: string, n: number) => {
      const notifications = Array.from({ length: n }, (_, i) => ({ to: { email: `${name}-${i}@example.com` }, content: { email: { subject: 'crash', text: `${name} ${i}` } } }));
      const r = await call('POST', '/v1/notifications/batch', { notifications });
      expect(r.status).toBe(200);
      return (r.body.results as { id: string }[]).map((x) => x.id);
    };

    // Refuses twice (the webhook backs off), then accepts slowly, so the kill finds batches unsent
    // and, likely, one in flight whose answer the dead process never reads.
    const receiver = await startReceiver(SECRET);
    receiver.answer = (n) => (n < 2 ? 503 : 200);
    receiver.delayMs = 300;

    let child = spawnHerald(['serve'], env);
    try {
      await waitForHttp(`${url}/healthz`);
      expect((await call('PUT', '/v1/webhooks/crash', { url: receiver.url, events: ['*'], secret: SECRET })).status).toBe(201);
      const ids = await wave('first', 20);
      await eventually(async () => receiver.accepted.length > 0, 20_000);
      ids.push(...(await wave('second', 20)));
      child.kill('SIGKILL');
      await waitForExit(child);

      const db = new Database(path.join(dataDir, 'herald.db'), { readonly: true });
      const eventIds = () => (db.prepare(`select id from events where notification_id in (${ids.map(() => '?').join(',')})`).all(...ids) as { id: number }[]).map((e) => e.id);
      const acceptedAtKill = new Set(receiver.accepted.map((e) => e.id)).size;
      const loggedAtKill = eventIds().length;
      expect(acceptedAtKill).toBeLessThan(loggedAtKill);

      child = spawnHerald(['serve'], env);
      await waitForHttp(`${url}/healthz`);
      // Deliveries with a `sent` event: a delivery sent twice (its 1 s lease ran out on a loaded machine) has two.
      const sentCount = db.prepare(`select count(distinct delivery_id) n from events where type = 'sent' and notification_id in (${ids.map(() => '?').join(',')})`);
      let missing: number[] = [];
      try {
        await eventually(
          async () => {
            const all = eventIds();
            const got = new Set(receiver.accepted.map((e) => e.id));
            missing = all.filter((id) => !got.has(id));
            return (sentCount.get(...ids) as { n: number }).n === ids.length && missing.length === 0;
          },
          150_000, // generous: the dispatcher lease left by the killed process must run out first, and CI machines are busy
          250,
        );
      } finally {
        expect(missing).toEqual([]);
      }
      const unique = firstArrivals(receiver.accepted);
      const duplicates = receiver.accepted.length - unique.length;
      expect(receiver.requests.every((r) => r.signatureOk)).toBe(true);
      for (const id of ids) {
        const mine = unique.filter((e) => e.notification_id === id).map((e) => e.id);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
      console.log(
        `webhook crash test: ${ids.length} notifications, ${eventIds().length} events; at the kill the receiver had ${acceptedAtKill} of ${loggedAtKill} events then logged; ` +
          `after the restart it has all of them; ${receiver.requests.length} POSTs (${receiver.requests.filter((r) => r.status >= 300).length} refused), duplicates: ${duplicates}`,
      );
      db.close();
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child);
      await receiver.close();
    }
  }, 240_000);
});
