import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHerald, type TestHerald } from './helpers/herald.js';
import { nextLocal, zonedInstant } from '../src/domain/local-time.js';

describe('send_at_local and quiet hours', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await h.api('PUT', '/v1/users/berlin', { phone: '+14155552671', timezone: 'Europe/Berlin' });
    await h.api('PUT', '/v1/users/newyork', { phone: '+14155552672', timezone: 'America/New_York' });
    await h.api('PUT', '/v1/users/seoul', { phone: '+14155552673', timezone: 'Asia/Seoul' });
    await h.api('PUT', '/v1/users/lordhowe', { phone: '+14155552674', timezone: 'Australia/Lord_Howe' });
    await h.api('PUT', '/v1/users/nozone', { phone: '+14155552675' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const runAts = async (id: string) => {
    const n = (await h.api('GET', `/v1/notifications/${id}`)).body;
    return Object.fromEntries(n.deliveries.map((d: any) => [d.user_id, d]));
  };

  it('sends at each recipient’s own wall-clock time, on a given date, across DST changes', async () => {
    const r = await h.api('POST', '/v1/notifications', {
      user_ids: ['berlin', 'newyork', 'seoul', 'lordhowe', 'nozone'],
      content: { sms: { text: 'good morning' } },
      send_at_local: '02:30',
      date: '2030-03-31',
    });
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('scheduled');
    const d = await runAts(r.body.id);
    for (const u of ['berlin', 'newyork', 'seoul', 'lordhowe']) expect(d[u].status).toBe('scheduled');
    expect(d.berlin.next_attempt_at).toBe(new Date(zonedInstant('2030-03-31', '02:30', 'Europe/Berlin')).toISOString());
    // 2030-03-31 is Berlin's spring-forward day: 02:30 becomes 03:30 CEST = 01:30Z
    expect(d.berlin.next_attempt_at).toBe('2030-03-31T01:30:00.000Z');
    expect(d.newyork.next_attempt_at).toBe('2030-03-31T06:30:00.000Z');
    expect(d.seoul.next_attempt_at).toBe('2030-03-30T17:30:00.000Z');
    // users without a timezone use the app's default (UTC unless set)
    expect(d.nozone.next_attempt_at).toBe('2030-03-31T02:30:00.000Z');
  });

  it('uses the app’s default timezone and, without a date, the next occurrence', async () => {
    await h.api('PUT', '/v1/settings', { default_timezone: 'Asia/Seoul' });
    const r = await h.api('POST', '/v1/notifications', { user_id: 'nozone', content: { sms: { text: 'x' } }, send_at_local: '09:00' });
    const d = await runAts(r.body.id);
    const expected = nextLocal('09:00', 'Asia/Seoul', Date.now());
    expect(Math.abs(Date.parse(d.nozone.next_attempt_at) - expected)).toBeLessThan(60_000);
    expect((await h.api('PUT', '/v1/settings', { default_timezone: 'Mars/Olympus' })).status).toBe(400);
    await h.api('PUT', '/v1/settings', { default_timezone: null });
    expect((await h.api('POST', '/v1/notifications', { user_id: 'nozone', content: { sms: { text: 'x' } }, send_at_local: '25:00' })).status).toBe(400);
    expect((await h.api('POST', '/v1/notifications', { user_id: 'nozone', content: { sms: { text: 'x' } }, date: '2030-01-01' })).status).toBe(400);
  });

  it('holds non-urgent deliveries until quiet hours end, but not high priority', async () => {
    // A quiet window covering every hour but the next-but-one: whatever the time now, it is quiet.
    const nowMin = new Date().getUTCHours() * 60 + new Date().getUTCMinutes();
    const hh = (m: number) => `${String(Math.floor(((m + 1440) % 1440) / 60)).padStart(2, '0')}:${String(((m + 1440) % 1440) % 60).padStart(2, '0')}`;
    const start = hh(nowMin - 60);
    const end = hh(nowMin + 120);
    await h.api('PUT', '/v1/users/quiet', { phone: '+14155552676', timezone: 'UTC' });
    await h.api('PUT', '/v1/users/quiet/preferences', { quiet_hours: { start, end } });
    const normal = await h.api('POST', '/v1/notifications', { user_id: 'quiet', content: { sms: { text: 'newsletter' } } });
    const d = (await runAts(normal.body.id)).quiet;
    expect(d.status).toBe('scheduled');
    const wait = Date.parse(d.next_attempt_at) - Date.now();
    expect(wait).toBeGreaterThan(100 * 60_000);
    expect(wait).toBeLessThanOrEqual(121 * 60_000);
    const urgent = await h.api('POST', '/v1/notifications', { user_id: 'quiet', priority: 'high', content: { sms: { text: 'your code' } } });
    expect((await runAts(urgent.body.id)).quiet.status).not.toBe('scheduled');
    expect((await h.api('PUT', '/v1/users/quiet/preferences', { quiet_hours: { start: '22:00' } })).status).toBe(400);
  });
});
