import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';
import { Scheduler } from '../src/services/scheduler.js';
import { SendService } from '../src/services/send.js';
import { systemClock } from '../src/ports/clock.js';
import { createLogger } from '../src/logger.js';

describe('recurring schedules', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await h.api('PUT', '/v1/users/rita', { email: 'rita@example.com' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const sentBy = async (scheduleId: string) =>
    (await h.api('GET', '/v1/notifications?user_id=rita&limit=200')).body.notifications.filter((n: any) => n.event_id?.startsWith(`schedule:${scheduleId}:`));

  it('validates cron and timezone', async () => {
    const notification = { user_id: 'rita', content: { email: { subject: 's', text: 't' } } };
    expect((await h.api('POST', '/v1/schedules', { cron: 'every day at nine', notification })).body.error.code).toBe('invalid_cron');
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
    const other = new Scheduler(h.herald.store, new SendService(h.herald.store, h.herald.queue, h.herald.providers, systemClock), systemClock, createLogger('silent'), { tickMs: 50, leaseMs: 30_000 });
    other.start();
    try {
      const s = await h.api('POST', '/v1/schedules', { cron: '* * * * * *', notification: { user_id: 'rita', content: { email: { subject: 'tick', text: 't' } } } });
      expect(s.status).toBe(201);
      const fired = await eventually(async () => {
        const n = await sentBy(s.body.id);
        return n.length >= 3 ? n : undefined;
      });
      const keys = fired.map((n: any) => n.event_id);
      expect(new Set(keys).size).toBe(keys.length);
      const times = keys.map((k: string) => Number(k.split(':')[2]));
      for (const t of times) expect(t % 1000).toBe(0);
      const paused = await h.api('POST', `/v1/schedules/${s.body.id}/pause`);
      expect(paused.body.status).toBe('paused');
      await new Promise((r) => setTimeout(r, 300));
      const count = (await sentBy(s.body.id)).length;
      await new Promise((r) => setTimeout(r, 1500));
      expect((await sentBy(s.body.id)).length).toBe(count);
      const got = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body;
      expect(got.runs).toBeGreaterThanOrEqual(count);
      expect(got.last_error).toBeNull();
    } finally {
      await other.stop();
    }
  });

  it('records why a firing was refused', async () => {
    const s = await h.api('POST', '/v1/schedules', { cron: '* * * * * *', notification: { user_id: 'nobody', content: { sms: { text: 'x' } } } });
    const got = await eventually(async () => {
      const r = (await h.api('GET', `/v1/schedules/${s.body.id}`)).body;
      return r.runs > 0 ? r : undefined;
    });
    expect(got.last_error).toMatch(/^unknown_user/);
    await h.api('DELETE', `/v1/schedules/${s.body.id}`);
  });
});
