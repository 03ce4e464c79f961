import type { FastifyInstance } from 'fastify';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The app's alerts that are raised now (thresholds in PUT /v1/settings `alerts`). */
export async function alertRoutes(app: FastifyInstance, { store }: HttpDeps): Promise<void> {
  app.get('/v1/alerts', { schema: { tags: ['observability'] } }, async (req) => ({
    alerts: (await store.alerts.open(appOf(req).id)).map((a) => ({ alert: a.key, value: a.value, threshold: a.threshold, raised_at: iso(a.raised_at) })),
  }));
}
