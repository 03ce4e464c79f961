import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { SettingsService } from '../services/settings.js';

/**
 * The per-app API rate limit (SPEC §3.7): `api_rate_limit` from the app's settings, 6,000 requests per
 * minute by default, counted per authenticated app in this API process (several API processes each
 * allow the limit). Over it: 429 `rate_limited` with `Retry-After` in seconds.
 *
 * @fastify/rate-limit adds its check as a route-level onRequest hook, and Fastify runs route-level
 * hooks after the instance's own, so it runs after the Basic-auth hook in server.ts and can key on the
 * app. It must be registered before the routes (it hooks them as they are added). Requests without an
 * app (public routes, provider receipts, tracking links) are not counted here.
 */
export async function installApiRateLimit(app: FastifyInstance, settings: SettingsService): Promise<void> {
  const limitOf = async (req: FastifyRequest) => (await settings.cached(req.app!.id)).api_rate_limit;
  await app.register(rateLimit, {
    hook: 'onRequest',
    allowList: (req) => !req.app,
    keyGenerator: (req) => req.app?.id ?? '',
    max: async (req) => (await limitOf(req)).limit,
    timeWindow: async (req) => (await limitOf(req)).window_s * 1000,
    // One entry per active app; an app pushed out of the LRU starts a fresh window.
    cache: 10_000,
    errorResponseBuilder: (_req, ctx) =>
      new ApiError(429, 'rate_limited', `API rate limit of ${ctx.max} requests exceeded; retry in ${ctx.after}`, undefined, {
        'retry-after': String(Math.max(1, Math.ceil(ctx.ttl / 1000))),
      }),
  });
}
