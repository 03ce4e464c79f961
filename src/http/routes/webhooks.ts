import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { EVENT_PATTERN } from '../../domain/webhook-events.js';
import type { WebhookAttemptsRow, WebhooksRow } from '../../ports/webhook-store.js';
import { webhookSecretAad } from '../../services/webhook-dispatcher.js';
import { validateWebhookUrl } from '../../services/webhook-url.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { IdString, UuidString } from '../schemas.js';

const IdParams = Type.Object({ id: IdString });
const WebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: Type.Array(Type.String({ maxLength: 100, pattern: EVENT_PATTERN }), {
      minItems: 1,
      maxItems: 100,
      description: 'event types (`delivered`, `alert.raised`), families (`alert.*`) or `*` for every event',
    }),
    secret: Type.String({ minLength: 16, maxLength: 256, description: 'signs every POST (Herald-Signature); never returned' }),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const LogQuery = Type.Object({
  cursor: Type.Optional(UuidString),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A webhook as the API shows it: configuration and where it stands, never the secret. */
function present(w: WebhooksRow) {
  return {
    id: w.id,
    url: w.url,
    events: JSON.parse(w.events) as string[],
    enabled: w.enabled === 1,
    // Null until a POST to it succeeded: until then the cursor is only where the webhook started, which is
    // nothing this webhook received (SPEC §11: no installation-wide position is shown to an app).
    last_event_id: w.last_success_at === null ? null : w.cursor_id,
    failures: w.failures,
    next_attempt_at: iso(w.next_attempt_at),
    last_error: w.last_error,
    last_attempt_at: iso(w.last_attempt_at),
    last_success_at: iso(w.last_success_at),
    created_at: iso(w.created_at),
    updated_at: iso(w.updated_at),
  };
}

function presentAttempt(a: WebhookAttemptsRow) {
  return {
    id: a.id,
    at: iso(a.at),
    ok: a.ok === 1,
    status_code: a.status_code,
    error: a.error,
    batch_size: a.batch_size,
    duration_ms: a.duration_ms,
    first_event_id: a.first_event_id,
    last_event_id: a.last_event_id,
  };
}

export async function webhookRoutes(app: FastifyInstance, { store, box, clock, outbound }: HttpDeps): Promise<void> {
  const unknown = () => notFound('unknown_webhook', 'no such webhook');

  app.put('/v1/webhooks/:id', { schema: { tags: ['webhooks'], params: IdParams, body: WebhookBody } }, async (req, reply) => {
    const a = appOf(req);
    const { id } = req.params as Static<typeof IdParams>;
    const b = req.body as Static<typeof WebhookBody>;
    const url = await validateWebhookUrl(b.url, outbound);
    const { row, created } = await store.webhooks.put(
      {
        app_id: a.id,
        id,
        url: url.href,
        events: JSON.stringify([...new Set(b.events)]),
        secret_enc: box.seal(b.secret, webhookSecretAad(a.id, id)),
        enabled: b.enabled === false ? 0 : 1,
      },
      clock.now(),
    );
    return reply.status(created ? 201 : 200).send(present(row));
  });

  app.get('/v1/webhooks', { schema: { tags: ['webhooks'] } }, async (req) => ({ webhooks: (await store.webhooks.list(appOf(req).id)).map(present) }));

  app.get('/v1/webhooks/:id', { schema: { tags: ['webhooks'], params: IdParams } }, async (req) => {
    const w = await store.webhooks.get(appOf(req).id, (req.params as Static<typeof IdParams>).id);
    if (!w) throw unknown();
    return present(w);
  });

  app.delete('/v1/webhooks/:id', { schema: { tags: ['webhooks'], params: IdParams } }, async (req, reply) => {
    if (!(await store.webhooks.remove(appOf(req).id, (req.params as Static<typeof IdParams>).id))) throw unknown();
    return reply.status(204).send();
  });

  app.get('/v1/webhooks/:id/deliveries', { schema: { tags: ['webhooks'], params: IdParams, querystring: LogQuery } }, async (req) => {
    const w = await store.webhooks.get(appOf(req).id, (req.params as Static<typeof IdParams>).id);
    if (!w) throw unknown();
    const q = req.query as Static<typeof LogQuery>;
    const limit = Math.min(200, Math.max(1, Number(q.limit ?? 50)));
    const rows = await store.webhooks.attempts(w.uid, limit, q.cursor?.toLowerCase());
    return { deliveries: rows.map(presentAttempt), next_cursor: rows.length === limit ? rows[rows.length - 1].id : null };
  });
}
