import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../deps.js';

export async function healthRoutes(app: FastifyInstance, { store, queue }: HttpDeps): Promise<void> {
  app.get('/healthz', { schema: { tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['health'] } }, async (_req, reply) => {
    const check = async (f: () => Promise<void>) => {
      try {
        await f();
        return 'ok';
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    };
    const [database, q] = await Promise.all([check(() => store.ping()), check(() => queue.ping())]);
    const ready = database === 'ok' && q === 'ok';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', database, queue: q });
  });
}
