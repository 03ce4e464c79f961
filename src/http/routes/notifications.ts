import { isCalendarDate, parseIsoDateTime } from '../../domain/calendar.js';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { badRequest, notFound } from '../../domain/errors.js';
import type { SendResult } from '../../services/send.js';
import type { SendRequest } from '../../services/send-request.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { Channel, ContentChannels, IdString, Priority, UuidString } from '../schemas.js';
import { presentNotification } from '../present.js';
import { presentFanoutNotification } from '../present-fanout.js';

export const SendBody = Type.Object({
  event_id: Type.Optional(IdString),
  user_id: Type.Optional(IdString),
  user_ids: Type.Optional(Type.Array(IdString, { minItems: 1, maxItems: 1000 })),
  topic: Type.Optional(IdString),
  to: Type.Optional(Type.Object({ email: Type.Optional(Type.String({ maxLength: 254 })), phone: Type.Optional(Type.String({ maxLength: 32 })) }, { additionalProperties: false })),
  template: Type.Optional(IdString),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  content: Type.Optional(ContentChannels),
  channels: Type.Optional(Type.Array(Channel, { minItems: 1, maxItems: 3, uniqueItems: true })),
  category: Type.Optional(IdString),
  priority: Type.Optional(Priority),
  send_at: Type.Optional(Type.String({ maxLength: 40 })),
  send_at_local: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' })),
  date: Type.Optional(Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' })),
  ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_419_200 })),
});
// Batch items are checked one by one with the single-send schema, so one bad item is one error result.
const sendBodyCheck = TypeCompiler.Compile(SendBody);
const BatchBody = Type.Object({ notifications: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }) });
const IdParams = Type.Object({ id: UuidString });
const FANOUT_DELIVERIES_SHOWN = 1000;
const ListQuery = Type.Object({
  user_id: Type.Optional(IdString),
  status: Type.Optional(Type.String({ maxLength: 20 })),
  template: Type.Optional(IdString),
  since: Type.Optional(Type.String({ maxLength: 40 })),
  cursor: Type.Optional(UuidString),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
});
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });

export async function notificationRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const { send, store, clock } = deps;
  const reply202 = (reply: FastifyReply, r: SendResult) => {
    if (!r.ok) throw r.error;
    if (r.replayed) return reply.status(200).header('idempotent-replayed', 'true').send(r.body);
    return reply.status(202).send(r.body);
  };

  app.post('/v1/notifications', { schema: { tags: ['notifications'], body: SendBody, headers: IdempotencyHeaders } }, async (req, reply) => {
    const key = req.headers['idempotency-key'] as string | undefined;
    return reply202(reply, await send.send(appOf(req), req.body as SendRequest, key));
  });

  app.post('/v1/notifications/batch', { schema: { tags: ['notifications'], body: BatchBody } }, async (req) => {
    const a = appOf(req);
    const items = (req.body as Static<typeof BatchBody>).notifications;
    const valid: { req: SendRequest }[] = [];
    const slot: (number | { error: { code: string; message: string; field?: string } })[] = [];
    items.forEach((item, i) => {
      if (sendBodyCheck.Check(item)) {
        slot.push(valid.length);
        valid.push({ req: item as SendRequest });
        return;
      }
      const first = sendBodyCheck.Errors(item).First();
      const path = (first?.path ?? '').split('/').filter(Boolean).join('.');
      slot.push({ error: { code: 'invalid_request', message: `notifications[${i}]${path ? '.' + path : ''}: ${first?.message ?? 'is invalid'}`, ...(path ? { field: path } : {}) } });
    });
    const results = await send.sendMany(a, valid);
    return {
      results: slot.map((s) => {
        if (typeof s !== 'number') return s;
        const r = results[s];
        return r.ok ? r.body : r.error.toJSON();
      }),
    };
  });

  app.get('/v1/notifications/:id', { schema: { tags: ['notifications'], params: IdParams } }, async (req) => {
    const { id } = req.params as Static<typeof IdParams>;
    const appId = appOf(req).id;
    // A topic send shows its fan-out's progress and counts, and only its first deliveries.
    const fanout = await store.fanouts.get(appId, id.toLowerCase());
    const found = await store.notifications.get(appId, id.toLowerCase(), fanout ? { deliveryLimit: FANOUT_DELIVERIES_SHOWN } : undefined);
    if (!found) throw notFound('unknown_notification', `no notification "${id}"`);
    if (fanout) return presentFanoutNotification(found.notification, found.deliveries, fanout, await store.fanouts.statusCounts(fanout.id));
    return presentNotification(found.notification, found.deliveries);
  });

  app.get('/v1/notifications', { schema: { tags: ['notifications'], querystring: ListQuery } }, async (req) => {
    const q = req.query as Static<typeof ListQuery>;
    let since: number | undefined;
    if (q.since !== undefined) {
      since = isCalendarDate(q.since) ? Date.parse(`${q.since}T00:00:00Z`) : parseIsoDateTime(q.since);
      if (since === undefined) throw badRequest('invalid_date', 'since must be an ISO 8601 date or date-time of a real day, e.g. 2026-12-01T09:00:00Z', 'since');
    }
    const limit = Math.min(200, Math.max(1, Number(q.limit ?? 50)));
    const rows = await store.notifications.list(appOf(req).id, { userId: q.user_id, status: q.status, template: q.template, since, before: q.cursor?.toLowerCase(), limit });
    return {
      notifications: rows.map((n) => presentNotification(n)),
      next_cursor: rows.length === limit ? rows[rows.length - 1].id : null,
    };
  });

  app.delete('/v1/notifications/:id', { schema: { tags: ['notifications'], params: IdParams } }, async (req) => {
    const { id } = req.params as Static<typeof IdParams>;
    // A running fan-out stops first, so no page is written after its deliveries were cancelled.
    await store.fanouts.cancel(appOf(req).id, id.toLowerCase(), clock.now());
    const n = await store.notifications.cancel(appOf(req).id, id.toLowerCase(), clock.now());
    if (n === undefined) throw notFound('unknown_notification', `no notification "${id}"`);
    return { id, cancelled: n };
  });
}
