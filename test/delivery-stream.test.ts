import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSendgridEmulator, type SendgridEmulator } from '../src/emulators/sendgrid/emulator.js';
import { DELIVERY_ID_ARG } from '../src/channels/email/sendgrid/custom-args.js';
import { eventually, startTestHerald, type TestHerald } from './helpers/herald.js';

/**
 * The delivery engine is a stream (issue 13): a request that never answers holds its own slot and
 * nothing else. The other deliveries of its channel are recorded as they answer, and with a lease of
 * 1 s, the hung one is never taken up by another loop and sent again while its request is alive.
 */
const HUNG = 'hung@example.com';

describe('a hung provider request', () => {
  let h: TestHerald;
  let sendgrid: SendgridEmulator;
  const calls = new Map<string, number>();
  const answers: number[] = [];

  beforeAll(async () => {
    // The hung request answers after 4 s, past four leases and well before SendGrid's 30 s timeout.
    sendgrid = await startSendgridEmulator({
      tls: false,
      latencyMs: (_req, body) => (body?.includes(HUNG) ? 4000 : 20),
      onAnswered: () => answers.push(Date.now()),
      onMessage: (m) => {
        const id = m.customArgs[DELIVERY_ID_ARG];
        calls.set(id, (calls.get(id) ?? 0) + 1);
      },
    });
    h = await startTestHerald('sqlite', { HERALD_SANDBOX: '0', HERALD_ALLOW_PRIVATE_NETWORKS: '1', HERALD_LEASE_MS: '1000' });
    expect((await h.api('PUT', '/v1/providers/sendgrid', { api_key: sendgrid.apiKey, from: 'shop@example.com', endpoint: sendgrid.url })).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await sendgrid?.close();
  });

  const statusOf = async (id: string) => (await h.api('GET', `/v1/notifications/${id}`)).body.deliveries[0].status as string;

  it('does not hold back the others’ records, and is not sent twice while it is in flight', async () => {
    // One batch, the hung one first: claimed together, as a batch-at-a-time engine would hold them all.
    const started = Date.now();
    const batch = await h.api('POST', '/v1/notifications/batch', {
      notifications: [HUNG, ...Array.from({ length: 50 }, (_, i) => `quick${i}@example.com`)].map((email, i) => ({ to: { email }, content: { email: { subject: 'stream', text: String(i) } } })),
    });
    expect(batch.status).toBe(200);
    const [hung, ...rest] = batch.body.results as { id: string }[];
    const ids = rest.map((r) => r.id);
    await eventually(async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'sent'), 3000, 20);
    const recordedInMs = Date.now() - started;
    console.log('DEBUG answers after start', answers.map((a) => a - started).join(','), 'requests', sendgrid.stats.requests);
    // All fifty are recorded while the hung request is still out, far sooner than it answers.
    expect(await statusOf(hung.id)).toBe('queued');
    expect(recordedInMs).toBeLessThan(2500);

    await eventually(async () => (await statusOf(hung.id)) === 'sent', 10_000, 50);
    const hungDelivery = (await h.api('GET', `/v1/notifications/${hung.id}`)).body.deliveries[0];
    expect(calls.get(hungDelivery.id)).toBe(1);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.size).toBe(51);
    console.log(`hung request: 50 others recorded in ${recordedInMs} ms while it was out; each of the 51 sent once (lease 1 s, hung 4 s)`);
  });
});
