import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { systemClock } from '../src/ports/clock.js';
import { FanoutService } from '../src/services/fanout.js';
import { SendService } from '../src/services/send.js';
import type { UsersRow } from '../src/ports/store.js';
import { basic, eventually, request, startTestHerald, type DbKind, type TestHerald } from './helpers/herald.js';

const IOS = (n: number) => n.toString(16).padStart(64, 'a');
const SMS = { content: { sms: { text: 'Hi {{ user.name }}' } } };
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

/** Topics, settings, frequency caps and the API rate limit through HTTP; run by consent.test.ts and consent.postgres.test.ts. */
export function consentSuite(db: DbKind): void {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald(db);
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A fresh app on the same server, so each test's settings and data stand alone. */
  async function appClient(name: string) {
    const c = await h.newApp(name);
    const appId = (await h.herald.store.apps.findByKey(c.key))!.id;
    const auth = basic(c.key, c.secret);
    return { appId, api: (method: string, route: string, body?: unknown, headers?: Record<string, string>) => request(h.url, auth, method, route, body, headers) };
  }
  type Api = Awaited<ReturnType<typeof appClient>>['api'];

  const fanoutDone = (api: Api, id: string) =>
    eventually(async () => {
      const r = await api('GET', `/v1/notifications/${id}`);
      return r.body.fanout?.status === 'done' ? r.body : undefined;
    }, 60_000);

  describe('topics', () => {
    it('subscribes idempotently, lists, unsubscribes, and 404s an unknown user', async () => {
      await h.api('PUT', '/v1/users/tina', { email: 'tina@example.com' });
      const first = await h.api('PUT', '/v1/users/tina/topics/news');
      expect(first.status).toBe(201);
      expect(first.body).toEqual({ user_id: 'tina', topic: 'news', subscribed: true });
      expect((await h.api('PUT', '/v1/users/tina/topics/news')).status).toBe(200);
      await h.api('PUT', '/v1/users/tina/topics/deals');
      const list = await h.api('GET', '/v1/users/tina/topics');
      expect(list.body.topics.map((t: any) => t.topic)).toEqual(['deals', 'news']);
      expect(list.body.topics[0].subscribed_at).toMatch(/^\d{4}-/);
      expect((await h.api('DELETE', '/v1/users/tina/topics/deals')).status).toBe(204);
      expect((await h.api('DELETE', '/v1/users/tina/topics/deals')).status).toBe(204);
      expect((await h.api('GET', '/v1/users/tina/topics')).body.topics.map((t: any) => t.topic)).toEqual(['news']);
      for (const [m, r] of [['PUT', '/v1/users/ghost/topics/news'], ['DELETE', '/v1/users/ghost/topics/news'], ['GET', '/v1/users/ghost/topics']]) {
        const res = await h.api(m, r);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('unknown_user');
      }
      expect((await h.api('PUT', `/v1/users/tina/topics/${encodeURIComponent('a b')}`)).status).toBe(400);
    });

    it('fans a topic send out to every subscriber with the same planning as a user_ids send', async () => {
      const { api } = await appClient('topic-small');
      await api('PUT', '/v1/users/t1', { name: 'One', phone: '+14155550101', email: 't1@example.com' });
      await api('PUT', '/v1/users/t2', { name: 'Two', email: 't2@example.com' });
      await api('PUT', '/v1/users/t3', { name: 'Three', phone: '+14155550103', email: 't3@example.com' });
      await api('PUT', '/v1/users/t3/preferences', { channels: { email: false } });
      await api('PUT', '/v1/users/t4', { name: 'Four', phone: '+14155550104' });
      for (const u of ['t1', 't2', 't3']) await api('PUT', `/v1/users/${u}/topics/launch`);
      await api('PUT', '/v1/templates/launch', { channels: { sms: { text: 'Hi {{ user.name }}, {{ params.what }}' }, email: { subject: 'Launch', text: 'Hello {{ user.name }}' } } });
      const body = { template: 'launch', params: { what: 'we launched' } };

      const r = await api('POST', '/v1/notifications', { ...body, topic: 'launch' });
      expect(r.status).toBe(202);
      expect(r.body).toEqual({ id: expect.any(String), status: 'accepted', fanout: { status: 'running' }, deliveries: [] });
      const n = await fanoutDone(api, r.body.id);
      expect(n.fanout).toMatchObject({ topic: 'launch', status: 'done', pages: 1, users: 3, deliveries: 6, suppressed: 2, skipped: 0 });
      expect(n.deliveries_truncated).toBe(false);

      const direct = await api('POST', '/v1/notifications', { ...body, user_ids: ['t1', 't2', 't3'] });
      const shape = (ds: any[]) => ds.map((d) => `${d.user_id ?? ''}/${d.channel}/${d.to}/${d.reason ?? 'open'}`).sort();
      const viaTopic = (await api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries;
      const viaIds = (await api('GET', `/v1/notifications/${direct.body.id}`)).body.deliveries;
      expect(shape(viaTopic)).toEqual(shape(viaIds));
      expect(viaTopic.map((d: any) => d.user_id)).not.toContain('t4');
      const settled = await eventually(async () => {
        const x = await api('GET', `/v1/notifications/${r.body.id}`);
        return x.body.status === 'completed' ? x.body : undefined;
      });
      expect(settled.fanout.by_status).toEqual({ sent: 4, suppressed: 2 });
      // Rendered per subscriber, with the template version the notification recorded.
      expect(settled.template_version).toBe(1);
      const sms = h.herald.emulators!.twilio.received.find((m) => m.to === '+14155550101' && m.body === 'Hi One, we launched');
      expect(sms).toBeTruthy();
    });

    it('validates a topic send up front and writes nothing on refusal; an empty topic completes', async () => {
      const { api } = await appClient('topic-validate');
      await api('PUT', '/v1/templates/promo', { channels: { sms: { text: '{{ params.code }} for {{ user.name }}' } } });
      const two = await api('POST', '/v1/notifications', { topic: 'x', user_id: 'u', ...SMS });
      expect(two.body.error.code).toBe('invalid_recipients');
      const missing = await api('POST', '/v1/notifications', { topic: 'x', template: 'promo' });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ code: 'missing_variable', field: 'params.code' });
      expect((await api('POST', '/v1/notifications', { topic: 'x', template: 'nope' })).body.error.code).toBe('unknown_template');
      expect((await api('POST', '/v1/notifications', { topic: 'bad topic', ...SMS })).status).toBe(400);
      expect((await api('GET', '/v1/notifications')).body.notifications).toEqual([]);

      const empty = await api('POST', '/v1/notifications', { topic: 'nobody-here', template: 'promo', params: { code: 'A1' } });
      expect(empty.status).toBe(202);
      const n = await fanoutDone(api, empty.body.id);
      expect(n).toMatchObject({ status: 'completed', template_version: 1, fanout: { users: 0, pages: 0, deliveries: 0 }, deliveries: [] });
    });

    it('streams 20,000 subscribers in pages of 1,000 and resumes from the cursor after a crash', async () => {
      const { appId, api } = await appClient('topic-big');
      const store = h.herald.store;
      const now = Date.now();
      const users: UsersRow[] = Array.from({ length: 20_000 }, (_, i) => ({
        app_id: appId,
        id: `big-${String(i).padStart(5, '0')}`,
        email: null,
        phone: `+1415${String(2_000_000 + i).padStart(7, '0')}`,
        locale: null,
        timezone: null,
        name: `User ${i}`,
        data: null,
        preferences: null,
        created_at: now,
        updated_at: now,
      }));
      await store.users.insertMany(users);
      await store.topics.subscribeMany(users.map((u) => ({ app_id: appId, topic: 'everyone', user_id: u.id, created_at: now })));

      // This test plays the fan-out worker itself for the first page, then hands over to the real one.
      await h.herald.fanout!.stop();
      try {
        // Scheduled an hour ahead: the deliveries are planned and written, not sent.
        const r = await api('POST', '/v1/notifications', { topic: 'everyone', ...SMS, send_at: inAnHour() });
        expect(r.status).toBe(202);
        expect(r.body).toMatchObject({ status: 'scheduled', fanout: { status: 'running' }, deliveries: [] });

        const send = new SendService(store, h.herald.queue, h.herald.providers, systemClock);
        const doomed = new FanoutService(store, h.herald.queue, send, systemClock, createLogger('silent'), { pageSize: 1000, leaseMs: 2000 });
        const lease = (await doomed.claim())!;
        expect(lease.row.id).toBe(r.body.id);
        expect(await doomed.runPage(lease)).toBe('more');
        // While its lease runs, nobody else may take the fan-out.
        const rival = new FanoutService(store, h.herald.queue, send, systemClock, createLogger('silent'), { pageSize: 1000, leaseMs: 2000 });
        expect(await rival.claim()).toBeUndefined();
        const mid = (await api('GET', `/v1/notifications/${r.body.id}`)).body;
        expect(mid.fanout).toMatchObject({ status: 'running', pages: 1, users: 1000, deliveries: 1000 });
        expect(mid.status).toBe('scheduled');

        // The "crash": the holder does nothing more and its lease runs out; the real worker resumes.
        await new Promise((res) => setTimeout(res, 2100));
        const heapBefore = process.memoryUsage().heapUsed;
        h.herald.fanout!.start();
        const done = await fanoutDone(api, r.body.id);
        const heapAfter = process.memoryUsage().heapUsed;
        console.log(`[${db}] 20,000-subscriber fan-out resumed after a crash: ${done.fanout.pages} pages; heap ${mb(heapBefore)} → ${mb(heapAfter)} MB (no forced GC; bench/topic-fanout.ts has settled figures)`);
        expect(done.fanout).toMatchObject({ status: 'done', pages: 20, users: 20_000, deliveries: 20_000, suppressed: 0 });
        expect(done.fanout.by_status).toEqual({ scheduled: 20_000 });
        expect(done.deliveries).toHaveLength(1000);
        expect(done.deliveries_truncated).toBe(true);
        expect(done.deliveries[0].events.map((e: any) => e.type)).toEqual(['created', 'scheduled']);

        // The crashed holder wakes up: its page is refused and nothing is written twice.
        expect(await doomed.runPage(lease)).toBe('lost');
        expect((await api('GET', `/v1/notifications/${r.body.id}`)).body.fanout.by_status).toEqual({ scheduled: 20_000 });

        const cancelled = await api('DELETE', `/v1/notifications/${r.body.id}`);
        expect(cancelled.body.cancelled).toBe(20_000);
      } finally {
        h.herald.fanout!.start();
      }
    });
  });

  describe('settings', () => {
    it('shows defaults, sets sections, and refuses unknown keys and bad values without changing anything', async () => {
      const { api } = await appClient('settings');
      expect((await api('GET', '/v1/settings')).body).toEqual({ frequency_caps: {}, api_rate_limit: { limit: 6000, window_s: 60 }, client_templates: [], default_timezone: 'UTC', alerts: {}, retention: { events_days: 90, deliveries_days: 365 } });
      const put = await api('PUT', '/v1/settings', { frequency_caps: { sms: { limit: 3, window_s: 3600 } } });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({ frequency_caps: { sms: { limit: 3, window_s: 3600 } }, api_rate_limit: { limit: 6000, window_s: 60 }, client_templates: [], default_timezone: 'UTC', alerts: {}, retention: { events_days: 90, deliveries_days: 365 } });
      const bad = [
        { foo: 1 },
        { frequency_caps: { fax: { limit: 1, window_s: 60 } } },
        { frequency_caps: { sms: { limit: 3 } } },
        { frequency_caps: { sms: { limit: 3, window_s: 60, extra: true } } },
        { frequency_caps: { sms: { limit: -1, window_s: 60 } } },
        { frequency_caps: { sms: { limit: 3, window_s: 60, exempt_categories: ['no spaces'] } } },
        { api_rate_limit: { limit: 0, window_s: 60 } },
        { api_rate_limit: { limit: '10', window_s: 60 } },
        { api_rate_limit: 'fast' },
        { client_templates: ['no spaces'] },
      ];
      for (const body of bad) {
        const r = await api('PUT', '/v1/settings', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.code).toBe('invalid_request');
      }
      expect((await api('GET', '/v1/settings')).body.frequency_caps).toEqual({ sms: { limit: 3, window_s: 3600 } });
      // Other sections are left alone; null returns a section to its defaults.
      await api('PUT', '/v1/settings', { api_rate_limit: { limit: 100, window_s: 10 } });
      expect((await api('GET', '/v1/settings')).body).toEqual({ frequency_caps: { sms: { limit: 3, window_s: 3600 } }, api_rate_limit: { limit: 100, window_s: 10 }, client_templates: [], default_timezone: 'UTC', alerts: {}, retention: { events_days: 90, deliveries_days: 365 } });
      await api('PUT', '/v1/settings', { frequency_caps: null });
      expect((await api('GET', '/v1/settings')).body.frequency_caps).toEqual({});
    });
  });

  describe('frequency caps', () => {
    it('lets exactly 3 of 10 concurrent SMS through per hour; transactional is exempt and other users are unaffected', async () => {
      const { api } = await appClient('caps');
      await api('PUT', '/v1/settings', { frequency_caps: { sms: { limit: 3, window_s: 3600 } } });
      await api('PUT', '/v1/users/capped', { name: 'Cap', phone: '+14155550111' });
      await api('PUT', '/v1/users/free', { name: 'Free', phone: '+14155550112' });

      const rs = await Promise.all(Array.from({ length: 10 }, () => api('POST', '/v1/notifications', { user_id: 'capped', ...SMS })));
      expect(rs.every((r) => r.status === 202)).toBe(true);
      const ds = rs.map((r) => r.body.deliveries[0]);
      expect(ds.filter((d) => d.status === 'queued')).toHaveLength(3);
      const limited = ds.filter((d) => d.status === 'suppressed');
      expect(limited).toHaveLength(7);
      expect(limited.every((d) => d.reason === 'rate_limited')).toBe(true);
      // The log says the same as the 202.
      const one = (await api('GET', `/v1/notifications/${rs[ds.indexOf(limited[0])].body.id}`)).body.deliveries[0];
      expect(one).toMatchObject({ status: 'suppressed', reason: 'rate_limited' });
      expect(one.events.map((e: any) => e.type)).toEqual(['created', 'suppressed']);
      expect(one.events[1].data).toEqual({ reason: 'rate_limited' });

      const otp = await api('POST', '/v1/notifications', { user_id: 'capped', category: 'transactional', ...SMS });
      expect(otp.body.deliveries[0].status).toBe('queued');
      const other = await api('POST', '/v1/notifications', { user_id: 'free', ...SMS });
      expect(other.body.deliveries[0].status).toBe('queued');

      // An idempotent replay answers the capped result it first gave.
      const keyed = await api('POST', '/v1/notifications', { event_id: 'capped-1', user_id: 'capped', ...SMS });
      expect(keyed.body.deliveries[0]).toMatchObject({ status: 'suppressed', reason: 'rate_limited' });
      const replay = await api('POST', '/v1/notifications', { event_id: 'capped-1', user_id: 'capped', ...SMS });
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual(keyed.body);
    });

    it('counts a push notification once for all devices, decides a batch in order, honours custom exemptions, and caps topic sends', async () => {
      const { api } = await appClient('caps-more');
      // One send time for all: the window is chosen by when a delivery goes out.
      const later = inAnHour();
      await api('PUT', '/v1/settings', {
        frequency_caps: { push: { limit: 1, window_s: 3600 }, sms: { limit: 2, window_s: 3600, exempt_categories: ['otp'] } },
      });
      await api('PUT', '/v1/users/pushy', { name: 'Pushy' });
      await api('POST', '/v1/users/pushy/devices', { platform: 'ios', token: IOS(1) });
      await api('POST', '/v1/users/pushy/devices', { platform: 'ios', token: IOS(2) });
      const push = { user_id: 'pushy', content: { push: { title: 'T', body: 'B' } }, send_at: later };
      const p1 = await api('POST', '/v1/notifications', push);
      expect(p1.body.deliveries.map((d: any) => d.status)).toEqual(['scheduled', 'scheduled']);
      const p2 = await api('POST', '/v1/notifications', push);
      expect(p2.body.deliveries.map((d: any) => d.reason)).toEqual(['rate_limited', 'rate_limited']);

      await api('PUT', '/v1/users/batchy', { name: 'B', phone: '+14155550113' });
      const item = { user_id: 'batchy', ...SMS, send_at: later };
      const batch = await api('POST', '/v1/notifications/batch', { notifications: [item, item, item, { ...item, category: 'transactional' }, { ...item, category: 'otp' }] });
      expect(batch.body.results.map((r: any) => r.deliveries[0].status)).toEqual(['scheduled', 'scheduled', 'suppressed', 'suppressed', 'scheduled']);

      await api('PUT', '/v1/users/batchy/topics/promo');
      await api('PUT', '/v1/users/fresh', { name: 'F', phone: '+14155550114' });
      await api('PUT', '/v1/users/fresh/topics/promo');
      const t = await api('POST', '/v1/notifications', { topic: 'promo', ...SMS, send_at: later });
      const n = await fanoutDone(api, t.body.id);
      expect(n.fanout).toMatchObject({ users: 2, deliveries: 2, suppressed: 1 });
      const byUser = Object.fromEntries(n.deliveries.map((d: any) => [d.user_id, d]));
      expect(byUser.batchy).toMatchObject({ status: 'suppressed', reason: 'rate_limited' });
      expect(byUser.fresh.status).toBe('scheduled');
    });
  });

  describe('API rate limit', () => {
    it("answers 429 with Retry-After over the app's limit, and other apps are unaffected", async () => {
      const limited = await appClient('limited');
      const other = await appClient('unlimited');
      expect((await limited.api('PUT', '/v1/settings', { api_rate_limit: { limit: 5, window_s: 60 } })).status).toBe(200);
      const statuses: number[] = [];
      let last: Awaited<ReturnType<Api>> | undefined;
      for (let i = 0; i < 6; i++) {
        last = await limited.api('GET', '/v1/settings');
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      expect(last!.body.error.code).toBe('rate_limited');
      expect(typeof last!.body.error.message).toBe('string');
      const retryAfter = Number(last!.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await other.api('GET', '/v1/settings')).status).toBe(200);
      expect((await h.api('GET', '/v1/users/tina')).status).toBe(200);
      // Public routes are never counted against an app.
      expect((await request(h.url, undefined, 'GET', '/healthz')).status).toBe(200);
    });
  });
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
