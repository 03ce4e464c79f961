import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import { installErrorHandling } from './errors.js';
import { frameworkError, installInputGuard } from './input-guard.js';
import { basicAuth } from './auth.js';
import { bearerAuth, meRoutes } from './routes/me.js';
import { exampleRoutes } from './routes/examples.js';
import { UserTokens } from '../services/user-tokens.js';
import type { HttpDeps } from './deps.js';
import { healthRoutes } from './routes/health.js';
import { userRoutes } from './routes/users.js';
import { templateRoutes } from './routes/templates.js';
import { notificationRoutes } from './routes/notifications.js';
import { queueRoutes } from './routes/queues.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { providerRoutes } from './routes/providers.js';
import { hookRoutes } from './routes/hooks.js';
import { trackingRoutes } from './routes/tracking.js';
import { scheduleRoutes } from './routes/schedules.js';
import { webhookRoutes } from './routes/webhooks.js';
import { alertRoutes } from './routes/alerts.js';
import { metricsRoutes } from './routes/metrics.js';
import { topicRoutes } from './routes/topics.js';
import { settingsRoutes } from './routes/settings.js';
import { analyticsRoutes } from './routes/analytics.js';
import { installApiRateLimit } from './rate-limit.js';
import { dashboardRoutes } from './dashboard/index.js';

/** Routes that need no credentials; everything under /v1 needs an app's Basic credentials. */
const PUBLIC = /^\/(healthz|readyz|openapi\.json|docs)(\/|$|\?)/;

export async function buildServer(deps: HttpDeps, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One log line per request would cost more than the request at batch rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // A batch of 1,000 notifications with params fits; anything larger is a 413.
    bodyLimit: 5 * 1024 * 1024,
    // Wrong types are errors, not silently coerced ("1" is not 1); query strings are validated as strings.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
    // Ids longer than 200 characters reach their schema (400 in the envelope) instead of the router's 414.
    routerOptions: { maxParamLength: 2048 },
    frameworkErrors: frameworkError,
  });
  installErrorHandling(app);
  installInputGuard(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Herald API', version: '1', description: 'Self-hostable notifications: push, SMS and email.' },
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
      security: [{ basic: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Both behind the failed-authentication limit per client address (auth-failures.ts).
  const auth = deps.authFailures.guard(basicAuth(deps.apps));
  const userTokens = new UserTokens(deps.config.secretKey);
  const userAuth = deps.authFailures.guard(bearerAuth(deps, userTokens));
  app.addHook('onRequest', async (req) => {
    // Client apps' user tokens reach /v1/me and nothing else; everything else under /v1 takes app credentials.
    if (/^\/v1\/me(\/|\?|$)/.test(req.url)) await userAuth(req);
    else if (req.url.startsWith('/v1/') && !PUBLIC.test(req.url)) await auth(req);
  });
  // After the auth hook (it keys on the app) and before the routes (it hooks each as it is added).
  await installApiRateLimit(app, deps.settings);

  await app.register(async (scope) => {
    // First, so its onResponse hook counts every route registered after it.
    await metricsRoutes(scope, deps);
    await healthRoutes(scope, deps);
    await userRoutes(scope, deps);
    await topicRoutes(scope, deps);
    await settingsRoutes(scope, deps);
    await analyticsRoutes(scope, deps);
    await templateRoutes(scope, deps);
    await notificationRoutes(scope, deps);
    await queueRoutes(scope, deps);
    await sandboxRoutes(scope, deps);
    await providerRoutes(scope, deps);
    await hookRoutes(scope, deps);
    await trackingRoutes(scope, deps);
    await scheduleRoutes(scope, deps);
    await webhookRoutes(scope, deps);
    await alertRoutes(scope, deps);
    await meRoutes(scope, deps, userTokens);
    await exampleRoutes(scope);
    await dashboardRoutes(scope, deps);
  });
  return app;
}
