import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { IdString } from '../schemas.js';

const UserParams = Type.Object({ id: IdString });
// Topic names follow the same rule as user ids: they appear in URLs and in send bodies.
const TopicParams = Type.Object({ id: IdString, topic: IdString });

/** Topic subscriptions (SPEC §2); a send with `"topic"` reaches every subscriber (services/fanout.ts). */
export async function topicRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const { store, clock } = deps;
  const knownUser = async (appId: string, id: string) => {
    if (!(await store.users.get(appId, id))) throw notFound('unknown_user', `no user "${id}"`);
  };

  app.put('/v1/users/:id/topics/:topic', { schema: { tags: ['topics'], params: TopicParams } }, async (req, reply) => {
    const a = appOf(req);
    const { id, topic } = req.params as Static<typeof TopicParams>;
    await knownUser(a.id, id);
    const created = await store.topics.subscribe({ app_id: a.id, topic, user_id: id, created_at: clock.now() });
    return reply.status(created ? 201 : 200).send({ user_id: id, topic, subscribed: true });
  });

  // Idempotent like the PUT: unsubscribing a user who was not subscribed is not an error.
  app.delete('/v1/users/:id/topics/:topic', { schema: { tags: ['topics'], params: TopicParams } }, async (req, reply) => {
    const a = appOf(req);
    const { id, topic } = req.params as Static<typeof TopicParams>;
    await knownUser(a.id, id);
    await store.topics.unsubscribe(a.id, id, topic);
    return reply.status(204).send();
  });

  app.get('/v1/users/:id/topics', { schema: { tags: ['topics'], params: UserParams } }, async (req) => {
    const a = appOf(req);
    const { id } = req.params as Static<typeof UserParams>;
    await knownUser(a.id, id);
    const rows = await store.topics.listForUser(a.id, id);
    return { topics: rows.map((r) => ({ topic: r.topic, subscribed_at: new Date(r.created_at).toISOString() })) };
  });
}
