import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../domain/errors.js';
import { ANALYTICS_DIMENSIONS, DAY_MS, analyticsRow, type AnalyticsDimension, type AnalyticsQuery } from '../../domain/analytics.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';

const AnalyticsQueryString = Type.Object({
  group_by: Type.Optional(Type.String({ maxLength: 200 })),
  since: Type.Optional(Type.String({ maxLength: 40 })),
  until: Type.Optional(Type.String({ maxLength: 40 })),
});

const DEFAULT_RANGE_MS = 30 * DAY_MS;
// A date (midnight UTC) or a date-time; Date.parse alone would also take "March 7" or "2026".
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

function parseGroupBy(raw: string | undefined): AnalyticsDimension[] {
  if (raw === undefined || raw.trim() === '') return [];
  const out: AnalyticsDimension[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (!(ANALYTICS_DIMENSIONS as readonly string[]).includes(part)) {
      throw badRequest('invalid_group_by', `group_by takes a comma-separated list of ${ANALYTICS_DIMENSIONS.join(', ')}; got "${part}"`, 'group_by');
    }
    if (!out.includes(part as AnalyticsDimension)) out.push(part as AnalyticsDimension);
  }
  return out;
}

function parseTime(raw: string | undefined, field: 'since' | 'until'): number | undefined {
  if (raw === undefined) return undefined;
  const m = ISO_8601.exec(raw);
  // A date-time without a zone is read as UTC, like the day buckets, not in the server's zone.
  const t = m ? Date.parse(raw.length > 10 && !m[4] ? `${raw}Z` : raw) : NaN;
  // Date.parse rolls 2026-02-31 over to March; a calendar date that does not exist is refused instead.
  const real = m && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).toISOString().slice(0, 10) === raw.slice(0, 10);
  if (!Number.isFinite(t) || !real) throw badRequest('invalid_date', `${field} must be an ISO 8601 date or date-time, e.g. 2026-11-01 or 2026-11-01T00:00:00Z`, field);
  return t;
}

/** `GET /v1/analytics`: counts and rates over the app's deliveries, grouped as asked (domain/analytics.ts). */
export async function analyticsRoutes(app: FastifyInstance, { store, clock }: HttpDeps): Promise<void> {
  app.get('/v1/analytics', { schema: { tags: ['analytics'], querystring: AnalyticsQueryString } }, async (req) => {
    const q = req.query as Static<typeof AnalyticsQueryString>;
    const groupBy = parseGroupBy(q.group_by);
    const until = parseTime(q.until, 'until') ?? clock.now();
    const since = parseTime(q.since, 'since') ?? until - DEFAULT_RANGE_MS;
    if (since >= until) throw badRequest('invalid_date', 'since must be before until', 'since');
    const query: AnalyticsQuery = { groupBy, since, until };
    const rows = await store.analytics.counts(appOf(req).id, query);
    return {
      group_by: groupBy,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      rows: rows.map((r) => analyticsRow(r, groupBy)),
    };
  });
}
