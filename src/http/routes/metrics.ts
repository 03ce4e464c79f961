import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { HttpDeps } from '../deps.js';
import { RefusedCredentials } from '../auth-failures.js';

export async function metricsRoutes(app: FastifyInstance, { metrics, config, authFailures }: HttpDeps): Promise<void> {
  if (!metrics) return;
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, not the URL: ids in paths would make the label set unbounded.
    metrics.apiRequests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });
  // An operator-chosen token may be weak: a wrong one counts against the address like a wrong app secret.
  const checkToken = authFailures.guard(async (req) => {
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const want = Buffer.from(config.metricsToken!);
    if (given.length === want.length && timingSafeEqual(given, want)) return;
    const message = 'Authorization: Bearer HERALD_METRICS_TOKEN required';
    throw req.headers.authorization ? new RefusedCredentials(message, 'Bearer') : new ApiError(401, 'unauthorized', message);
  });
  app.get('/metrics', { schema: { tags: ['health'] } }, async (req, reply) => {
    if (config.metricsToken) await checkToken(req);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
