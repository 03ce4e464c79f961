import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { webhooksSuite } from './webhooks.suite.js';
import { postgresAvailable } from './helpers/postgres.js';
import { eventually } from './helpers/herald.js';
import { startReceiver } from './helpers/webhook-receiver.js';

// Under CI=true an absent PostgreSQL fails the run instead of skipping.
const available = await postgresAvailable();
describe.skipIf(!available)('webhooks on PostgreSQL', () =>
  webhooksSuite('postgres', (ctx) => {
    // A sequence hands out ids before commit: an event can become visible after a later id was read.
    // Read by id alone, the cursor would move past it and it would never be sent.
    it('does not skip an event whose transaction commits after later events', async () => {
      const { h, receivers } = ctx();
      const r = await startReceiver('whsec_0123456789abcdef');
      receivers.push(r);
      expect((await h.api('PUT', '/v1/webhooks/late', { url: r.url, events: ['*'], secret: 'whsec_0123456789abcdef' })).status).toBe(201);
      const app = (await h.herald.store.apps.findByKey('test-key'))!;
      const held = new pg.Client({ connectionString: h.herald.config.databaseUrl });
      await held.connect();
      try {
        await held.query('BEGIN');
        const late = await held.query<{ id: string }>(
          `INSERT INTO events (app_id, notification_id, delivery_id, type, at, data) VALUES ($1, 'late-notification', NULL, 'alert.raised', $2, NULL) RETURNING id`,
          [app.id, Date.now()],
        );
        const lateId = Number(late.rows[0].id);
        // Later ids commit first.
        const sent = await h.api('POST', '/v1/notifications', { to: { email: 'late@example.com' }, content: { email: { subject: 's', text: 't' } } });
        expect(sent.status).toBe(202);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await held.query('COMMIT');
        await eventually(async () => r.accepted.some((e) => e.id === lateId) && r.accepted.some((e) => e.notification_id === sent.body.id && e.type === 'sent'), 15_000);
        expect(r.requests.every((q) => q.signatureOk)).toBe(true);
      } finally {
        await held.end();
      }
      await h.api('DELETE', '/v1/webhooks/late');
    });
  }),
);
