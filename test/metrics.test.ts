import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, request, startTestHerald, type TestHerald } from './helpers/herald.js';

function value(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (want.every((l) => line.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/metrics', () => {
  let h: TestHerald;
  beforeAll(async () => {
    h = await startTestHerald('sqlite', { HERALD_METRICS_TOKEN: 'scrape-me' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('counts a known sequence of sends, with bounded labels', async () => {
    const ids: string[] = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com', 'bounce@example.com']) {
      ids.push((await h.api('POST', '/v1/notifications', { to: { email }, content: { email: { subject: 's', text: 't' } } })).body.id);
    }
    await eventually(async () => {
      const ns = await Promise.all(ids.map((id) => h.api('GET', `/v1/notifications/${id}`)));
      return ns.every((n) => n.body.status === 'completed');
    });
    expect((await request(h.url, undefined, 'GET', '/metrics')).status).toBe(401);
    const res = await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } });
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(value(text, 'herald_deliveries_total', { channel: 'email', provider: 'sendgrid', status: 'sent' })).toBe(3);
    expect(value(text, 'herald_deliveries_total', { channel: 'email', provider: 'sendgrid', status: 'failed' })).toBe(1);
    expect(value(text, 'herald_provider_requests_total', { provider: 'sendgrid', outcome: 'ok' })).toBe(3);
    expect(value(text, 'herald_provider_requests_total', { provider: 'sendgrid', outcome: 'error' })).toBe(1);
    expect(value(text, 'herald_provider_latency_seconds_count', { provider: 'sendgrid' })).toBe(4);
    expect(value(text, 'herald_delivery_latency_seconds_count', { channel: 'email' })).toBe(3);
    expect(value(text, 'herald_api_requests_total', { route: '/v1/notifications', status: '202' })).toBe(4);
    expect(value(text, 'herald_api_requests_total', { route: '/v1/notifications/:id', status: '200' })).toBeGreaterThan(0);
    for (const channel of ['push', 'sms', 'email']) {
      expect(value(text, 'herald_queue_depth', { channel })).toBe(0);
      expect(value(text, 'herald_queue_oldest_age_seconds', { channel })).toBe(0);
    }
    expect(value(text, 'herald_dead_letters', { channel: 'email' })).toBe(1);
    expect(text).toContain('herald_process_resident_memory_bytes');
    // no per-user or per-notification labels
    for (const id of ids) expect(text).not.toContain(id);
  });

  it('reads queue depth from the queue', async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    await h.api('POST', '/v1/notifications', { to: { phone: '+14155552671' }, content: { sms: { text: 'later' } }, send_at: at });
    const text = await (await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })).text();
    expect(value(text, 'herald_queue_depth', { channel: 'sms' })).toBe(0); // scheduled is not due
    const q = await h.api('GET', '/v1/queues');
    expect(q.body.channels.find((c: any) => c.channel === 'sms').scheduled).toBe(1);
  });
});
