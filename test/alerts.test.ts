import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';
import { AlertService } from '../src/services/alerts.js';
import { systemClock } from '../src/ports/clock.js';
import { createLogger } from '../src/logger.js';

describe('alerts', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald('sqlite');
  });
  afterAll(async () => {
    await h?.stop();
  });

  const alertEvents = () => {
    const db = new Database(path.join(h.dataDir, 'herald.db'), { readonly: true });
    const rows = db.prepare(`select type, data from events where type like 'alert.%' order by id`).all() as { type: string; data: string }[];
    db.close();
    return rows.map((r) => ({ type: r.type, ...JSON.parse(r.data) }));
  };
  const metric = async (alert: string) => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`herald_alerts_active{alert="${alert}"}`));
    return line ? Number(line.split(' ').pop()) : undefined;
  };

  it('raises once when a threshold is crossed, coalesces repeats across evaluators, and resolves', async () => {
    expect((await h.api('PUT', '/v1/settings', { alerts: { dead_letters_per_hour: 1, provider_failure_rate: 0.5, queue_depth: 1000 } })).status).toBe(200);
    expect((await h.api('PUT', '/v1/settings', { alerts: { queue_depth: 0 } })).status).toBe(400);
    const r = await h.api('POST', '/v1/notifications', { to: { email: 'down@example.com' }, content: { email: { subject: 's', text: 't' } } });
    await eventually(async () => (await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0].status === 'failed');

    // A second evaluator, as another process would run, ticking at the same time.
    const other = new AlertService(h.herald.store, h.herald.queue, (id) => h.herald.providers.health(id), systemClock, createLogger('silent'));
    const [a, b] = await Promise.all([h.herald.alerts!.tick(), other.tick()]);
    expect([...a.raised, ...b.raised].sort()).toEqual(['dead_letters_per_hour', 'provider_failure_rate:sendgrid', 'provider_failure_rate:smtp']);
    expect((await h.herald.alerts!.tick()).raised).toEqual([]);
    expect(alertEvents().filter((e) => e.type === 'alert.raised')).toHaveLength(3);
    expect(alertEvents()[0]).toMatchObject({ type: 'alert.raised', alert: expect.any(String), threshold: expect.any(Number) });

    const open = (await h.api('GET', '/v1/alerts')).body.alerts.map((x: any) => x.alert);
    expect(open).toContain('dead_letters_per_hour');
    expect(await metric('dead_letters_per_hour')).toBe(1);

    await h.api('PUT', '/v1/settings', { alerts: { dead_letters_per_hour: 5, queue_depth: 1000 } });
    const t = await h.herald.alerts!.tick();
    expect(t.resolved.sort()).toEqual(['dead_letters_per_hour', 'provider_failure_rate:sendgrid', 'provider_failure_rate:smtp']);
    expect((await h.api('GET', '/v1/alerts')).body.alerts).toEqual([]);
    expect(alertEvents().filter((e) => e.type === 'alert.resolved')).toHaveLength(3);
    expect(await metric('dead_letters_per_hour')).toBe(0);
  });
});
