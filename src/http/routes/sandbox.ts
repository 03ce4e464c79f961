import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';

const Query = Type.Object({
  channel: Type.Optional(Type.Union([Type.Literal('push'), Type.Literal('sms'), Type.Literal('email')])),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
});

/** In sandbox mode: what the emulated devices, phones and mailboxes received, newest first. */
export async function sandboxRoutes(app: FastifyInstance, { outbox }: HttpDeps): Promise<void> {
  if (!outbox) return;
  app.get('/v1/sandbox/messages', { schema: { tags: ['sandbox'], querystring: Query } }, async (req) => {
    const q = req.query as Static<typeof Query>;
    return { messages: outbox.list(appOf(req).id, Math.min(500, Number(q.limit ?? 100)), q.channel) };
  });
}
