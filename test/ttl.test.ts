import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';

describe('ttl', () => {
  let h: TestHerald;
  beforeAll(async () => {
    // Backoff steps longer than the ttl: the retry would come too late, so the delivery expires instead.
    h = await startTestHerald('sqlite', { HERALD_RETRY_BASE_MS: '5000' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('expires a delivery that cannot be made within its ttl, and never sends it late', async () => {
    const r = await h.api('POST', '/v1/notifications', { to: { email: 'down@example.com' }, content: { email: { subject: 'OTP', text: '123456' } }, ttl: 2 });
    const d = await eventually(async () => {
      const x = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0];
      return x.status === 'expired' ? x : undefined;
    });
    // SendGrid, then SMTP at once (failover); then the next backoff step would pass the ttl.
    expect(d.attempts).toBe(2);
    expect(d.events.map((e: any) => e.type)).toEqual(['created', 'queued', 'retrying', 'expired']);
    expect(d.events[3].data).toMatchObject({ reason: 'ttl', provider: 'smtp' });
    const n = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body;
    expect(Date.parse(n.expires_at) - Date.parse(n.created_at)).toBe(2000);
  });
});
