import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, fastClock, startTestHerald, type TestHerald } from './helpers/herald.js';
import { Scheduler } from '../src/services/scheduler.js';
import { SendService } from '../src/services/send.js';
import { createLogger } from '../src/logger.js';

describe('recurring schedules', () => {
  let h: TestHerald;
  // Schedules fire at most once a minute (SPEC §11); at 60× a minute passes every real second.
  const clock = fastClock(60);
  beforeAll(async () => {
    h = await startTestHerald('sqlite', {}, { clock });
    await h.api('PUT', '/v1/users/rita', { email: 'rita@example.com' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const sentBy = async (scheduleId: string) =>
    (await h.api('GET', '/v1/notifications?user_id=rita&limit=200')).body.notifications.filter((n: any) => n.event_id?.startsWith(`schedule:${scheduleId}:`));

  it('validates cron and timezone, and fires at most once a minute', async () => {
    const notification = { user_id: 'rita', content: { email: { subject: 's', text: 't' } } };
    expect((await h.api('POST', '/v1/schedules', { cron: 'every day at nine', notification })).body.error.code).toBe('invalid_cron');
    for (const cron of ['* * * * * *', '*/10 * * * * *', '0,30 * * * * *', '0-5 0 9 * * *']) {
      expect((await h.api('POST', '/v1/schedules', { cron, notification })).body.error.code, cron).toBe('invalid_cron');
    }
    const fine = await h.api('POST', '/v1/schedules', { cron: '30 */5 * * * *', notification });
    expect(fine.status).toBe(201);
    await h.api('DELETE', `/v1/schedules/${fine.body.id}`);
    expect((await h.api('POST', '/v1/schedules', { cron: '0 9 * * *', timezone: 'Moon/Base', notification })).body.error.code).toBe('invalid_timezone');
    expect((await h.api('POST', '/v1/schedules', { cron: '0 9 * * *', notification: { ...notification, priority: 'urgent' } })).status).toBe(400);
    const ok = await h.api('POST', '/v1/schedules', { cron: '0 9 * * 1', timezone: 'Europe/Berlin', notification });
    expect(ok.status).toBe(201);
    expect(new Date(ok.body.next_run_at).getUTCDay()).toBe(1);
    expect((await h.api('GET', '/v1/schedules')).body.schedules.map((s: any) => s.id)).toContain(ok.body.id);
    expect((await h.api('DELETE', `/v1/schedules/${ok.body.id}`)).status).toBe(204);
  });

  it('fires with a deterministic event_id, never twice for one time even with two schedulers, and pauses', async () => {
    // A second scheduler on the same database, as another process would run.
    const other = new Scheduler(h.herald.store, new SendService(h.herald.store, h.herald.queue, h.herald.providers, clock), clock, createLogger('silent'), { tickMs: 50, leaseMs: 30_000 });
    other.start();
    try {
      const s = await h.api('POST', '/v1/schedules', { cron: '* * * * *', notification: { user_id: 'rita', content: { email: { subject: 'tick', text: 't' } } } });
      expect(s.status).toBe(201);
      const fired = await eventually(async () => {
        const n = await sentBy(s.body.id);
        return n.length >= 3 ? n : undefined;
      });
      const keys = fired.map((n: any) => n.event_id);
      expect(new Set(keys).size).toBe(keys.length);
      const times = keys.map((k: string) => Number(k.split(':')[2]));
      for (const t of times) expect(t % 60_000).toBe(0);
      const paused = await h.api('POST', `/v1/schedules/${s.body.id}/pause`);
      expect(paused.body.status).toBe('paused');
      await new Promise((r) => setTimeout(r, 300));
      const count = (await sentBy(s.body.id)).length;
      await new Promise((r) => setTimeout(r, 2500)); // two and a half minutes of the test's clock
      expect((await sentBy(s.body.id)).length).toBe(count);
      const got = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body;
      expect(got.runs).toBeGreaterThanOrEqual(count);
      expect(got.last_error).toBeNull();
    } finally {
      await other.stop();
    }
  });

  it('records why a firing was refused', async () => {
    const s = await h.api('POST', '/v1/schedules', { cron: '* * * * *', notification: { user_id: 'nobody', content: { sms: { text: 'x' } } } });
    const got = await eventually(async () => {
      const r = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body;
      return r.runs > 0 ? r : undefined;
    });
    expect(got.last_error).toMatch(/^unknown_user/);
    await h.api('DELETE', `/v1/schedules/${s.body.id}`);
  });

  it('records a template that blows its render limit when it fires, and keeps serving', async () => {
    // Harmless when saved (no data); its schedule's params make it double a string 40 times.
    const bomb = '{% assign s = params.seed %}{% for i in (1..params.times) %}{% assign s = s | append: s %}{% endfor %}{{ s }}';
    expect((await h.api('PUT', '/v1/templates/doubler', { channels: { email: { subject: 'x', text: bomb } } })).status).toBe(201);
    const s = await h.api('POST', '/v1/schedules', { cron: '* * * * *', notification: { user_id: 'rita', template: 'doubler', params: { seed: 'xxxxxxxxxx', times: 40 } } });
    expect(s.status).toBe(201);
    const got = await eventually(async () => {
      const r = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body;
      return r.runs > 1 ? r : undefined;
    });
    expect(got.last_error).toMatch(/^render_limit/);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(await sentBy(s.body.id)).toEqual([]);
    await h.api('DELETE', `/v1/schedules/${s.body.id}`);
  });
});

describe('recurring schedules in each recipient’s own timezone', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await h.api('PUT', '/v1/users/anna', { phone: '+14155552671', timezone: 'Europe/Berlin' });
    await h.api('PUT', '/v1/users/ben', { phone: '+14155552672', timezone: 'America/New_York' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('fires when 09:00 first happens anywhere and delivers at 09:00 local to each recipient', async () => {
    const s = await h.api('POST', '/v1/schedules', { cron: '0 9 * * *', timezone: 'user', notification: { user_ids: ['anna', 'ben'], content: { sms: { text: 'morning' } } } });
    expect(s.status).toBe(201);
    const next = Date.parse(s.body.next_run_at);
    // 09:00 at UTC+14 is 19:00Z the day before.
    expect(new Date(next).toISOString().slice(11, 16)).toBe('19:00');
    expect((await h.api('POST', '/v1/schedules', { cron: '0 0 9 * * *', timezone: 'user', notification: { user_id: 'anna', content: { sms: { text: 'x' } } } })).status).toBe(400);
    // Fire it now with a clock standing at its time, as the scheduler would then.
    await h.api('POST', `/v1/schedules/${s.body.id}/pause`);
    await h.herald.store.schedules.setStatus((await h.herald.store.apps.findByKey('test-key'))!.id, s.body.id, 'active', next, Date.now());
    const clock = { now: () => next };
    const sched = new Scheduler(h.herald.store, new SendService(h.herald.store, h.herald.queue, h.herald.providers, clock), clock, createLogger('silent'));
    expect(await sched.tick()).toBe(1);
    const list = (await h.api('GET', '/v1/notifications?limit=5')).body.notifications;
    const n = (await h.api('GET', `/v1/notifications/${list[0].id}`)).body;
    expect(n.event_id).toBe(`schedule:${s.body.id}:${next}`);
    const day = new Date(next + 14 * 3_600_000).toISOString().slice(0, 10);
    const at = Object.fromEntries(n.deliveries.map((d: any) => [d.user_id, d.next_attempt_at]));
    const { zonedInstant } = await import('../src/domain/local-time.js');
    expect(at.anna).toBe(new Date(zonedInstant(day, '09:00', 'Europe/Berlin')).toISOString());
    expect(at.ben).toBe(new Date(zonedInstant(day, '09:00', 'America/New_York')).toISOString());
    const after = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body;
    expect(Date.parse(after.next_run_at) - next).toBe(86_400_000);
  });
});
