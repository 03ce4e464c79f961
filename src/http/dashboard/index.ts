import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { HttpDeps } from '../deps.js';
import { errorPage, pageHeaders } from './html.js';
import { DashboardSessions } from './session.js';
import { isApi, navFor, sessionOf, type DashCtx } from './context.js';
import { LiveSampler } from './sampler.js';
import { assetRoutes } from './assets.js';
import { signInRoutes, signOutRoute } from './sign-in.js';
import { overviewRoutes } from './overview.js';
import { notificationLogRoutes } from './notifications.js';
import { deadLetterRoutes } from './dead-letters.js';
import { sandboxPageRoutes } from './sandbox.js';
import { templatePageRoutes } from './templates.js';
import { userPageRoutes } from './users.js';
import { providerPageRoutes } from './providers.js';

/**
 * The web dashboard (SPEC §8): server-rendered pages at `/` (sign in) and `/dashboard/…`, with one
 * small script (dashboard/dashboard.js) that refreshes the live parts. Pages call the same services
 * and Store the API routes do, scoped to the signed-in app. Hidden from the OpenAPI document.
 */
const FORM_LIMIT = 64 * 1024;

export async function dashboardRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const ctx: DashCtx = {
    deps,
    sessions: new DashboardSessions(deps.config.secretKey),
    sampler: new LiveSampler(deps.queue, deps.store.analytics, deps.clock),
  };
  app.addHook('onClose', async () => ctx.sampler.stop());

  // The sign-in page at `/`: no session needed.
  await app.register(async (root) => {
    formParser(root);
    root.setErrorHandler(errorHandler(ctx));
    await signInRoutes(root, ctx);
  });

  await app.register(assetRoutes, { prefix: '/dashboard/assets' });

  // Everything else: a session is required, and every POST carries the session's CSRF token.
  await app.register(
    async (d) => {
      formParser(d);
      d.setErrorHandler(errorHandler(ctx));
      d.setNotFoundHandler((req, reply) => {
        reply.status(404).headers(pageHeaders()).send(errorPage('Not found', 'There is no dashboard page at this address.', req.dashboard && navFor(req, ctx, null)));
      });
      d.addHook('onRequest', async (req, reply) => {
        const s = await sessionOf(req, ctx);
        if (s) {
          req.dashboard = s;
          return;
        }
        if (isApi(req)) return reply.status(401).send(new ApiError(401, 'unauthorized', 'sign in to the dashboard again').toJSON());
        return reply.status(303).header('location', '/').header('cache-control', 'no-store').send();
      });
      d.addHook('preHandler', async (req, reply) => {
        if (req.method !== 'POST') return;
        const body = req.body instanceof URLSearchParams ? req.body : undefined;
        if (!ctx.sessions.checkCsrf(req.dashboard!.session, body?.get('csrf'))) {
          return reply
            .status(403)
            .headers(pageHeaders())
            .send(errorPage('Form refused', 'This form did not carry a valid security token, so nothing was changed. Go back, reload the page and try again.', navFor(req, ctx, null)));
        }
      });
      await overviewRoutes(d, ctx);
      await notificationLogRoutes(d, ctx);
      await templatePageRoutes(d, ctx);
      await userPageRoutes(d, ctx);
      await providerPageRoutes(d, ctx);
      await deadLetterRoutes(d, ctx);
      await sandboxPageRoutes(d, ctx);
      await signOutRoute(d, ctx);
    },
    { prefix: '/dashboard' },
  );
}

function formParser(scope: FastifyInstance): void {
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => done(null, new URLSearchParams(body as string)));
}

/** HTML error pages for the pages, the API's JSON envelope for /dashboard/api. */
const errorHandler = (ctx: DashCtx) => (err: FastifyError | ApiError, req: FastifyRequest, reply: FastifyReply) => {
  const status = err instanceof ApiError ? err.status : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status >= 500) req.log.error({ err }, 'dashboard error');
  const message = status >= 500 ? 'Something went wrong on the server; the error is in its log.' : err.message;
  if (isApi(req)) return reply.status(status).send(new ApiError(status, status >= 500 ? 'internal_error' : 'invalid_request', message).toJSON());
  return reply
    .status(status)
    .headers(pageHeaders())
    .send(errorPage(status >= 500 ? 'Server error' : status === 404 ? 'Not found' : 'Request refused', message, req.dashboard && navFor(req, ctx, null)));
};
