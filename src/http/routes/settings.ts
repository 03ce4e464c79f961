import { Type, type Static, type TNull, type TOptional, type TSchema, type TUnion } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { appOf } from '../auth.js';
import { badRequest } from '../../domain/errors.js';
import { validTimezone } from './users.js';
import type { HttpDeps } from '../deps.js';
import { IdString } from '../schemas.js';

const strict = { additionalProperties: false } as const;

const FrequencyCap = Type.Object(
  {
    limit: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    window_s: Type.Integer({ minimum: 1, maximum: 2_592_000 }),
    exempt_categories: Type.Optional(Type.Array(IdString, { maxItems: 100, uniqueItems: true })),
  },
  strict,
);

/**
 * The sections of `PUT /v1/settings`, one schema each (domain/app-settings.ts has the types and
 * defaults). A later section (alert thresholds, retry policy) is one more entry here.
 */
const SECTIONS = {
  frequency_caps: Type.Object(
    { push: Type.Optional(FrequencyCap), sms: Type.Optional(FrequencyCap), email: Type.Optional(FrequencyCap) },
    strict,
  ),
  api_rate_limit: Type.Object(
    { limit: Type.Integer({ minimum: 1, maximum: 100_000_000 }), window_s: Type.Integer({ minimum: 1, maximum: 86_400 }) },
    strict,
  ),
  // How long the log keeps events and finished deliveries (worker/retention-job.ts); a field left out keeps its default.
  retention: Type.Object(
    { events_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })), deliveries_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })) },
    strict,
  ),
  // Templates client apps may send to their own user through POST /v1/me/notifications.
  client_templates: Type.Array(IdString, { maxItems: 500, uniqueItems: true }),
  // Timezone for users without one (send_at_local, quiet hours).
  default_timezone: Type.String({ maxLength: 64 }),
  // Alert thresholds (services/alerts.ts); an absent threshold is not checked.
  alerts: Type.Object(
    {
      queue_depth: Type.Optional(Type.Integer({ minimum: 1 })),
      oldest_age_s: Type.Optional(Type.Integer({ minimum: 1 })),
      provider_failure_rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
      dead_letters_per_hour: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    strict,
  ),
} satisfies Record<string, TSchema>;

// Each section may be null: back to its defaults. Unknown sections and fields are refused.
const SettingsBody = Type.Object(
  Object.fromEntries(Object.entries(SECTIONS).map(([k, s]) => [k, Type.Optional(Type.Union([s, Type.Null()]))])) as {
    [K in keyof typeof SECTIONS]: TOptional<TUnion<[(typeof SECTIONS)[K], TNull]>>;
  },
  strict,
);

export async function settingsRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const { settings } = deps;

  app.get('/v1/settings', { schema: { tags: ['settings'] } }, async (req) => {
    const s = await settings.read(appOf(req).id);
    if (!s) throw notFound('unknown_app', 'the app no longer exists');
    return s;
  });

  // Sets the sections the body names and leaves the others as they are.
  app.put('/v1/settings', { schema: { tags: ['settings'], body: SettingsBody } }, async (req) => {
    const tz = (req.body as { default_timezone?: string | null }).default_timezone;
    if (typeof tz === 'string' && !validTimezone(tz)) throw badRequest('invalid_timezone', 'default_timezone must be an IANA name such as Europe/Berlin', 'default_timezone');
    const s = await settings.update(appOf(req).id, req.body as Static<typeof SettingsBody>);
    if (!s) throw notFound('unknown_app', 'the app no longer exists');
    return s;
  });
}
