import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { PRIORITIES, type Channel, type Priority } from '../../domain/delivery.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { UuidString } from '../schemas.js';
import { presentDelivery } from '../present.js';

const DeadQuery = Type.Object({ cursor: Type.Optional(UuidString), limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) });
const IdParams = Type.Object({ id: UuidString });

export async function queueRoutes(app: FastifyInstance, { store, queue, clock }: HttpDeps): Promise<void> {
  // The app's own deliveries only: the installation's figures would tell it how busy the other apps are (SPEC §11).
  app.get('/v1/queues', { schema: { tags: ['queues'] } }, async (req) => ({ channels: await queue.stats(appOf(req).id) }));

  app.get('/v1/dead-letters', { schema: { tags: ['queues'], querystring: DeadQuery } }, async (req) => {
    const q = req.query as Static<typeof DeadQuery>;
    const limit = Math.min(200, Math.max(1, Number(q.limit ?? 50)));
    const rows = await store.deliveries.listDead(appOf(req).id, limit, q.cursor?.toLowerCase());
    return { deliveries: rows.map(presentDelivery), next_cursor: rows.length === limit ? rows[rows.length - 1].id : null };
  });

  app.post('/v1/deliveries/:id/retry', { schema: { tags: ['queues'], params: IdParams } }, async (req, reply) => {
    const { id } = req.params as Static<typeof IdParams>;
    const row = await store.deliveries.requeue(appOf(req).id, id.toLowerCase(), clock.now());
    if (!row) throw notFound('unknown_dead_letter', `no failed delivery "${id}"`);
    await queue.publish([{ deliveryId: row.id, channel: row.channel as Channel, priority: PRIORITIES[row.priority_rank] as Priority, runAt: row.run_at }]);
    return reply.status(202).send(presentDelivery(row));
  });
}
