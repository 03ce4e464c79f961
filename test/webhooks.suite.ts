import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../src/store/schema.js';
import { basic, eventually, request, startTestHerald, type DbKind, type TestHerald } from './helpers/herald.js';
import { firstArrivals, startReceiver, type ReceivedEvent, type Receiver } from './helpers/webhook-receiver.js';

const SECRET = 'whsec_0123456789abcdef';
const ORDER = ['created', 'queued', 'sent'];

/** Outbound webhooks against one database; run by webhooks.test.ts (SQLite) and webhooks.postgres.test.ts. */
export function webhooksSuite(db: DbKind, extra?: (ctx: () => { h: TestHerald; receivers: Receiver[] }) => void): void {
  let h: TestHerald;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    h = await startTestHerald(db, { HERALD_ALLOW_PRIVATE_NETWORKS: '1' });
  });
  afterAll(async () => {
    await h?.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  const receiver = async () => {
    const r = await startReceiver(SECRET);
    receivers.push(r);
    return r;
  };
  const sendEmail = async (tag: string, api = h.api) => {
    const r = await api('POST', '/v1/notifications', { to: { email: `${tag}@example.com` }, content: { email: { subject: 'webhooks', text: `hello ${tag}` } } });
    expect(r.status).toBe(202);
    return r.body.id as string;
  };
  const logDb = () => (h.herald.store as unknown as { db: Kysely<Database> }).db;
  /** Every event the log holds for these notifications. */
  const eventsOf = (ids: string[]) => logDb().selectFrom('events').select(['id', 'type', 'notification_id']).where('notification_id', 'in', ids).orderBy('id').execute();
  /** Waits until the receiver has accepted every event the log holds for these notifications, and each got to `sent`. */
  const allArrive = (r: Receiver, ids: string[]) =>
    eventually(async () => {
      const logged = await eventsOf(ids);
      const got = new Set(r.accepted.map((e) => e.id));
      const sent = ids.every((id) => logged.some((e) => e.notification_id === id && e.type === 'sent'));
      return sent && logged.every((e) => got.has(e.id)) ? logged : undefined;
    }, 20_000);

  describe('configuration', () => {
    it('creates, updates, lists, reads without the secret, and deletes', async () => {
      const created = await h.api('PUT', '/v1/webhooks/analytics', { url: 'http://127.0.0.1:9/in', events: ['delivered', 'failed'], secret: SECRET });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: 'analytics', url: 'http://127.0.0.1:9/in', events: ['delivered', 'failed'], enabled: true, failures: 0 });
      const updated = await h.api('PUT', '/v1/webhooks/analytics', { url: 'http://127.0.0.1:9/v2', events: ['*'], secret: SECRET, enabled: false });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ url: 'http://127.0.0.1:9/v2', events: ['*'], enabled: false });
      const one = await h.api('GET', '/v1/webhooks/analytics');
      const list = await h.api('GET', '/v1/webhooks');
      for (const body of [created.body, updated.body, one.body, list.body]) expect(JSON.stringify(body)).not.toContain(SECRET);
      expect(one.body).not.toHaveProperty('secret');
      expect(list.body.webhooks.map((w: { id: string }) => w.id)).toContain('analytics');
      expect((await h.api('GET', '/v1/webhooks/analytics/deliveries')).body).toEqual({ deliveries: [], next_cursor: null });
      expect((await h.api('DELETE', '/v1/webhooks/analytics')).status).toBe(204);
      for (const [method, route] of [['GET', '/v1/webhooks/analytics'], ['DELETE', '/v1/webhooks/analytics'], ['GET', '/v1/webhooks/analytics/deliveries']]) {
        const r = await h.api(method, route);
        expect(r.status).toBe(404);
        expect(r.body.error.code).toBe('unknown_webhook');
      }
    });

    it('refuses bad bodies with the error envelope and writes nothing', async () => {
      const ok = { url: 'http://127.0.0.1:9/in', events: ['*'], secret: SECRET };
      const cases: [string, unknown, string, string?][] = [
        ['/v1/webhooks/bad1', { ...ok, secret: 'too-short' }, 'invalid_request', 'secret'],
        ['/v1/webhooks/bad2', { ...ok, events: [] }, 'invalid_request', 'events'],
        ['/v1/webhooks/bad3', { ...ok, events: ['Delivered'] }, 'invalid_request', 'events.0'],
        ['/v1/webhooks/bad4', { ...ok, events: ['alert.'] }, 'invalid_request', 'events.0'],
        ['/v1/webhooks/bad5', { ...ok, url: 'ftp://127.0.0.1/in' }, 'invalid_webhook_url', 'url'],
        ['/v1/webhooks/bad6', { ...ok, url: 'not a url' }, 'invalid_webhook_url', 'url'],
        ['/v1/webhooks/bad7', { ...ok, url: 'http://user:pw@127.0.0.1/in' }, 'invalid_webhook_url', 'url'],
        ['/v1/webhooks/bad8', { ...ok, extra: 1 }, 'invalid_request'],
        ['/v1/webhooks/bad9', { events: ['*'], secret: SECRET }, 'invalid_request', 'url'],
        ['/v1/webhooks/bad%20id', ok, 'invalid_request'],
      ];
      for (const [route, body, code, field] of cases) {
        const r = await h.api('PUT', route, body);
        expect(r.status, route).toBe(400);
        expect(r.body.error.code, route).toBe(code);
        if (field) expect(r.body.error.field, route).toBe(field);
      }
      const list = await h.api('GET', '/v1/webhooks');
      expect(list.body.webhooks.filter((w: { id: string }) => w.id.startsWith('bad'))).toEqual([]);
      // Dotted types, families and * are all accepted.
      const dotted = await h.api('PUT', '/v1/webhooks/alerts-only', { ...ok, events: ['alert.raised', 'alert.*', 'delivered'], enabled: false });
      expect(dotted.status).toBe(201);
      await h.api('DELETE', '/v1/webhooks/alerts-only');
    });
  });

  describe('delivery', () => {
    it("signs every batch and brings a send's events in order per notification", async () => {
      const all = await receiver();
      const sentOnly = await receiver();
      expect((await h.api('PUT', '/v1/webhooks/all', { url: all.url, events: ['*'], secret: SECRET })).status).toBe(201);
      expect((await h.api('PUT', '/v1/webhooks/sent-only', { url: sentOnly.url, events: ['sent'], secret: SECRET })).status).toBe(201);
      const ids = await Promise.all(['order-a', 'order-b', 'order-c', 'order-d', 'order-e'].map((t) => sendEmail(t)));
      const logged = await allArrive(all, ids);

      expect(all.requests.every((r) => r.signatureOk && r.webhookId === 'all')).toBe(true);
      const got = firstArrivals(all.accepted).filter((e) => ids.includes(e.notification_id));
      for (const id of ids) {
        const mine = got.filter((e) => e.notification_id === id);
        // Per notification: ids ascending in arrival order, and created → queued → sent.
        expect(mine.map((e) => e.id)).toEqual([...mine.map((e) => e.id)].sort((a, b) => a - b));
        expect(mine.map((e) => e.type).filter((t) => ORDER.includes(t))).toEqual(ORDER);
        expect(mine.map((e) => e.id).sort((a, b) => a - b)).toEqual(logged.filter((e) => e.notification_id === id).map((e) => e.id));
      }
      const sent = got.find((e) => e.type === 'sent')!;
      expect(sent).toMatchObject({ channel: 'email', provider: 'sendgrid', notification_id: expect.any(String), delivery_id: expect.any(String) });
      expect(new Date(sent.at).toISOString()).toBe(sent.at);
      expect(typeof sent.status).toBe('string');
      const timeline = (await h.api('GET', `/v1/notifications/${sent.notification_id}`)).body.deliveries[0];
      expect(timeline.id).toBe(sent.delivery_id);

      await eventually(async () => ids.every((id) => sentOnly.accepted.some((e) => e.notification_id === id)));
      expect(sentOnly.accepted.every((e) => e.type === 'sent')).toBe(true);
      expect(sentOnly.requests.every((r) => r.signatureOk)).toBe(true);

      const log = await h.api('GET', '/v1/webhooks/all/deliveries');
      expect(log.body.deliveries[0]).toMatchObject({ ok: true, status_code: 200, error: null, batch_size: expect.any(Number), duration_ms: expect.any(Number) });
      const state = await h.api('GET', '/v1/webhooks/all');
      expect(state.body.last_event_id).toBeGreaterThanOrEqual(Math.max(...logged.map((e) => e.id)));
      await h.api('DELETE', '/v1/webhooks/all');
      await h.api('DELETE', '/v1/webhooks/sent-only');
    });

    it('sends again what a failing receiver refused (at least once) and logs each failure', async () => {
      const r = await receiver();
      r.answer = (n) => (n < 3 ? 500 : 200);
      expect((await h.api('PUT', '/v1/webhooks/flaky', { url: r.url, events: ['*'], secret: SECRET })).status).toBe(201);
      const ids = [await sendEmail('flaky-1'), await sendEmail('flaky-2')];
      await allArrive(r, ids);

      expect(r.requests.slice(0, 3).map((q) => q.status)).toEqual([500, 500, 500]);
      // What the failed POSTs carried came again in a later, accepted one.
      const accepted = new Set(r.accepted.map((e) => e.id));
      expect(r.requests[0].ids.every((id) => accepted.has(id))).toBe(true);
      // The receiver has answered the accepted POST; the dispatcher records that attempt (and clears the failure
      // count) only once the answer reaches it, which under load comes after this test reads the log.
      type Attempt = { ok: boolean; status_code: number; error: string | null };
      const log = await eventually(async () => {
        const l = (await h.api('GET', '/v1/webhooks/flaky/deliveries')).body.deliveries as Attempt[];
        return l[0]?.ok && (await h.api('GET', '/v1/webhooks/flaky')).body.failures === 0 ? l : undefined;
      });
      const failures = log.filter((a) => !a.ok);
      expect(failures.length).toBe(3);
      expect(failures.every((a) => a.status_code === 500 && /HTTP 500/.test(a.error!))).toBe(true);
      expect(log[0].ok).toBe(true); // newest first
      const state = (await h.api('GET', '/v1/webhooks/flaky')).body;
      expect(state).toMatchObject({ failures: 0, last_error: null });
      expect(state.last_success_at).not.toBeNull();
      await h.api('DELETE', '/v1/webhooks/flaky');
    });

    it("never sends one app's events to another app's webhook", async () => {
      const mine = await receiver();
      const theirs = await receiver();
      const other = await h.newApp('other');
      const otherApi = (method: string, route: string, body?: unknown) => request(h.url, basic(other.key, other.secret), method, route, body);
      // The same webhook name in both apps: each app's own.
      expect((await h.api('PUT', '/v1/webhooks/main', { url: mine.url, events: ['*'], secret: SECRET })).status).toBe(201);
      expect((await otherApi('PUT', '/v1/webhooks/main', { url: theirs.url, events: ['*'], secret: SECRET })).status).toBe(201);
      expect((await otherApi('GET', '/v1/webhooks')).body.webhooks.map((w: { url: string }) => w.url)).toEqual([theirs.url]);

      const myIds = [await sendEmail('mine-1'), await sendEmail('mine-2')];
      const theirIds = [await sendEmail('theirs-1', otherApi), await sendEmail('theirs-2', otherApi)];
      await allArrive(mine, myIds);
      await allArrive(theirs, theirIds);
      const notIn = (events: ReceivedEvent[], ids: string[]) => events.filter((e) => ids.includes(e.notification_id));
      expect(notIn(mine.seen, theirIds)).toEqual([]);
      expect(notIn(theirs.seen, myIds)).toEqual([]);
      expect(theirs.seen.every((e) => theirIds.includes(e.notification_id))).toBe(true);

      expect((await otherApi('DELETE', '/v1/webhooks/main')).status).toBe(204);
      expect((await h.api('GET', '/v1/webhooks/main')).status).toBe(200);
      await h.api('DELETE', '/v1/webhooks/main');
    });

    it('holds events while disabled and sends them once enabled', async () => {
      const r = await receiver();
      await h.api('PUT', '/v1/webhooks/paused', { url: r.url, events: ['*'], secret: SECRET, enabled: false });
      const ids = [await sendEmail('paused-1')];
      await eventually(async () => (await eventsOf(ids)).some((e) => e.type === 'sent'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(r.requests).toEqual([]);
      await h.api('PUT', '/v1/webhooks/paused', { url: r.url, events: ['*'], secret: SECRET });
      await allArrive(r, ids);
      await h.api('DELETE', '/v1/webhooks/paused');
    });

    it('sends dotted event types (alerts) to webhooks that ask for them', async () => {
      const alerts = await receiver();
      const deliveredOnly = await receiver();
      await h.api('PUT', '/v1/webhooks/alerts', { url: alerts.url, events: ['alert.*'], secret: SECRET });
      await h.api('PUT', '/v1/webhooks/delivered', { url: deliveredOnly.url, events: ['delivered'], secret: SECRET });
      // Alerts are written as events by another part of Herald; their notification_id is a placeholder.
      const app = (await h.herald.store.apps.findByKey('test-key'))!;
      const at = Date.now();
      await logDb()
        .insertInto('events')
        .values([
          { app_id: app.id, notification_id: 'alert', delivery_id: null, type: 'alert.raised', at, data: JSON.stringify({ key: 'queue_depth:sms', value: 1200 }) },
          { app_id: app.id, notification_id: 'alert', delivery_id: null, type: 'alert.resolved', at: at + 1, data: JSON.stringify({ key: 'queue_depth:sms' }) },
        ])
        .execute();
      await eventually(async () => alerts.accepted.length >= 2);
      expect(alerts.accepted.map((e) => e.type)).toEqual(['alert.raised', 'alert.resolved']);
      expect(alerts.accepted[0]).toMatchObject({ notification_id: 'alert', delivery_id: null, channel: null, data: { key: 'queue_depth:sms', value: 1200 } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(deliveredOnly.seen.filter((e) => e.type.startsWith('alert.'))).toEqual([]);
      await h.api('DELETE', '/v1/webhooks/alerts');
      await h.api('DELETE', '/v1/webhooks/delivered');
    });
  });

  extra?.(() => ({ h, receivers }));
}
