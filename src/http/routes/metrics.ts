import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { HttpDeps } from '../deps.js';

export async function metricsRoutes(app: FastifyInstance, { metrics, config }: HttpDeps): Promise<void> {
  if (!metrics) return;
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, not the URL: ids in paths would make the label set unbounded.
    metrics.apiRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });
  app.get('/metrics', { schema: { tags: ['health'] } }, async (req, reply) => {
    if (config.metricsToken) {
      const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      const want = Buffer.from(config.metricsToken);
      if (given.length !== want.length || !timingSafeEqual(given, want)) throw new ApiError(401, 'unauthorized', 'Authorization: Bearer HERALD_METRICS_TOKEN required');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
