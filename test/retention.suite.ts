import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, eventually, request, startTestHerald, type DbKind, type TestHerald } from './helpers/herald.js';
import { newId } from '../src/domain/ids.js';
import { createLogger } from '../src/logger.js';
import { RetentionJob } from '../src/worker/retention-job.js';
import type { DeliveriesRow, NewEvent } from '../src/ports/store.js';

const DAY = 86_400_000;
const OPEN = ['queued', 'scheduled'];

/**
 * The retention setting and the pruning job against one database. The job's one-pass method takes
 * `now`, so a pass "months later" runs at once: old events go, old terminal deliveries and their
 * notifications go, and whatever is recent or still open stays — per app, with each app's setting.
 */
export function retentionSuite(db: DbKind): void {
  let h: TestHerald;
  let appId: string;
  let otherAuth: string;
  let T: number;
  const ids: Record<string, string> = {};

  const job = () => new RetentionJob(h.herald.store, { now: () => Date.now() }, createLogger('silent'), { everyMs: 3_600_000, leaseMs: 60_000, batchSize: 2, pollMs: 60_000 });
  const get = (name: string, auth?: string) => (auth ? request(h.url, auth, 'GET', `/v1/notifications/${ids[name]}`) : h.api('GET', `/v1/notifications/${ids[name]}`));
  const settled = (name: string, auth?: string) =>
    eventually(async () => {
      const r = await get(name, auth);
      return r.body.deliveries.every((d: any) => !OPEN.includes(d.status) || d.status === 'scheduled') ? r.body : undefined;
    });
  const send = async (name: string, body: Record<string, unknown>, auth?: string) => {
    const r = auth ? await request(h.url, auth, 'POST', '/v1/notifications', body) : await h.api('POST', '/v1/notifications', body);
    expect(r.status).toBe(202);
    ids[name] = r.body.id;
    return settled(name, auth);
  };
  const eventCount = async (names: string[]) => {
    let n = 0;
    for (const name of names) n += (await get(name)).body.deliveries.reduce((s: number, d: any) => s + d.events.length, 0);
    return n;
  };

  beforeAll(async () => {
    h = await startTestHerald(db);
    appId = (await h.herald.store.apps.findByKey(h.key))!.id;
    const other = await h.newApp('other');
    otherAuth = basic(other.key, other.secret);
    T = Date.now();
    expect((await h.api('PUT', '/v1/users/nomail', {})).status).toBe(201);
    const email = { email: { subject: 'S', text: 'T' } };
    await send('sent', { to: { email: 'kept@example.com' }, content: email });
    await send('failed', { to: { email: 'bounce@example.com' }, content: email });
    await send('suppressed', { user_id: 'nomail', content: email });
    await send('scheduled', { to: { email: 'later@example.com' }, content: email, send_at: new Date(T + 500 * DAY).toISOString() });
    await send('cancelled', { to: { email: 'never@example.com' }, content: email, send_at: new Date(T + 500 * DAY).toISOString() });
    expect((await h.api('DELETE', `/v1/notifications/${ids.cancelled}`)).status).toBeLessThan(300);
    await send('other', { to: { email: 'other@example.com' }, content: email }, otherAuth);
    // A notification from "fifty days later", written straight into the log.
    ids.recent = await insertSent(h, appId, T + 50 * DAY);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('keeps retention in the app settings, with documented defaults and validation', async () => {
    expect((await h.api('GET', '/v1/settings')).body.retention).toEqual({ events_days: 90, deliveries_days: 365 });
    const put = await h.api('PUT', '/v1/settings', { retention: { events_days: 30, deliveries_days: 60 } });
    expect(put.status).toBe(200);
    expect(put.body.retention).toEqual({ events_days: 30, deliveries_days: 60 });
    // A field left out keeps its default.
    expect((await request(h.url, otherAuth, 'PUT', '/v1/settings', { retention: { events_days: 120 } })).body.retention).toEqual({ events_days: 120, deliveries_days: 365 });
    expect((await request(h.url, otherAuth, 'PUT', '/v1/settings', { retention: null })).body.retention).toEqual({ events_days: 90, deliveries_days: 365 });
    for (const bad of [{ events_days: 0 }, { events_days: 1.5 }, { deliveries_days: 'forever' }, { days: 3 }]) {
      const r = await h.api('PUT', '/v1/settings', { retention: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
    expect((await h.api('GET', '/v1/settings')).body.retention).toEqual({ events_days: 30, deliveries_days: 60 });
  });

  it('runs in the worker process under a lease that lets one pass run at a time', async () => {
    expect(h.herald.retention).toBeDefined();
    // Far enough ahead that the background pass's lease has run out, still before any cut-off.
    const now = T + 2 * DAY;
    // A process that claimed the lease and died: nobody else runs a pass until its lease runs out.
    expect(await h.herald.store.jobLeases.claim('retention', 'crashed-process', now, now + 60_000)).toBe(true);
    expect(await h.herald.store.jobLeases.claim('retention', 'another-process', now + 1000, now + 61_000)).toBe(false);
    expect(await job().runOnce(now + 59_999)).toBeUndefined();
    const a = job();
    const first = await a.runOnce(now + 60_000);
    expect(first).toMatchObject({ complete: true, events: 0, deliveries: 0, notifications: 0 });
    expect(first!.apps).toBeGreaterThanOrEqual(2);
    // The dead holder cannot extend what it lost.
    expect(await h.herald.store.jobLeases.extend('retention', 'crashed-process', now + 120_000)).toBe(false);
    // The next pass is not due for an hour, whichever process asks.
    expect(await a.runOnce(now + 61_000)).toBeUndefined();
    expect(await job().runOnce(now + 60_000 + 59 * 60_000)).toBeUndefined();
  });

  it('prunes events older than events_days, per app, and keeps every delivery younger than deliveries_days', async () => {
    const mine = ['sent', 'failed', 'suppressed', 'scheduled', 'cancelled'];
    const old = await eventCount(mine);
    expect(old).toBeGreaterThanOrEqual(12);
    const recentEvents = await eventCount(['recent']);
    const otherBefore = (await get('other', otherAuth)).body;

    // 45 days on: this app's events (30 days) are past their time, its deliveries (60 days) are not.
    const pass = await job().runOnce(T + 45 * DAY);
    expect(pass).toMatchObject({ complete: true, events: old, deliveries: 0, notifications: 0 });
    for (const name of mine) {
      const n = (await get(name)).body;
      expect(n.deliveries.length, name).toBe(1);
      expect(n.deliveries[0].events, name).toEqual([]);
    }
    expect(await eventCount(['recent'])).toBe(recentEvents);
    // The other app keeps its own default of 90 days.
    expect((await get('other', otherAuth)).body).toEqual(otherBefore);
  });

  it('prunes terminal deliveries and emptied notifications older than deliveries_days, keeping open and recent ones', async () => {
    const pass = await job().runOnce(T + 75 * DAY);
    // sent, failed, suppressed and cancelled go with their notifications; the one scheduled 500 days ahead stays.
    expect(pass).toMatchObject({ complete: true, events: 0, deliveries: 4, notifications: 4 });
    for (const name of ['sent', 'failed', 'suppressed', 'cancelled']) {
      const r = await get(name);
      expect(r.status, name).toBe(404);
      expect(r.body.error.code).toBe('unknown_notification');
    }
    const scheduled = (await get('scheduled')).body;
    expect(scheduled.deliveries).toMatchObject([{ status: 'scheduled' }]);
    const recent = (await get('recent')).body;
    expect(recent.deliveries).toMatchObject([{ status: 'sent', events: [{ type: 'sent' }] }]);
    expect((await get('other', otherAuth)).status).toBe(200);
  });

  it("applies each app's own retention, and never removes what is still open", async () => {
    // 400 days on: the other app's default year has passed, and the "recent" notification's 60 days too.
    const pass = await job().runOnce(T + 400 * DAY);
    expect(pass).toMatchObject({ complete: true, deliveries: 2, notifications: 2 });
    expect(pass!.events).toBeGreaterThanOrEqual(2);
    expect((await get('other', otherAuth)).status).toBe(404);
    expect((await get('recent')).status).toBe(404);
    expect((await get('scheduled')).body.deliveries).toMatchObject([{ status: 'scheduled', events: [] }]);
  });
}

/** A notification with one sent email and its timeline, written straight through the Store at time `t`. */
async function insertSent(h: TestHerald, appId: string, t: number): Promise<string> {
  const id = newId();
  const d: DeliveriesRow = {
    id: newId(),
    app_id: appId,
    notification_id: id,
    user_id: null,
    device_id: null,
    channel: 'email',
    platform: null,
    provider: 'sendgrid',
    to_addr: 'recent@example.com',
    status: 'sent',
    reason: null,
    content: null,
    category: null,
    priority_rank: 1,
    run_at: t,
    lease_until: null,
    attempts: 1,
    provider_message_id: `m-${id}`,
    last_error: null,
    expires_at: null,
    created_at: t,
    updated_at: t,
  };
  const events: NewEvent[] = [{ app_id: appId, notification_id: id, delivery_id: d.id, type: 'sent', at: t, data: null }];
  await h.herald.store.notifications.insert([
    {
      notification: { id, app_id: appId, idempotency_key: null, request_hash: null, response: null, user_id: null, template: null, template_version: null, category: null, priority: 'normal', status: 'accepted', send_at: null, expires_at: null, created_at: t },
      deliveries: [d],
      events,
    },
  ]);
  return id;
}
