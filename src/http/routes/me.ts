import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { AppsRow } from '../../ports/store.js';
import { UserTokens, type UserTokenClaims } from '../../services/user-tokens.js';
import { appOf } from '../auth.js';
import { RefusedCredentials } from '../auth-failures.js';
import type { HttpDeps } from '../deps.js';
import { Channel, IdString, UuidString } from '../schemas.js';
import { presentDevice } from '../present.js';
import { DeviceBody, PreferencesBody, deviceTarget, putPreferences } from './users.js';

declare module 'fastify' {
  interface FastifyRequest {
    me?: UserTokenClaims & { app: AppsRow };
  }
}

const TokenBody = Type.Object({ ttl: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })) });
const UserParams = Type.Object({ id: IdString });
const ReminderBody = Type.Object(
  {
    template: IdString,
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    channels: Type.Optional(Type.Array(Channel, { minItems: 1, maxItems: 3, uniqueItems: true })),
    send_at: Type.Optional(Type.String({ maxLength: 40 })),
    ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_419_200 })),
  },
  { additionalProperties: false },
);
const EventBody = Type.Object({ type: Type.Literal('opened'), delivery_id: UuidString }, { additionalProperties: false });

/** Reminders a user may schedule for themselves: per user, per process (an abuse brake, not a quota). */
const REMINDERS_PER_HOUR = 20;

const unauthorized = (m: string) => new ApiError(401, 'unauthorized', m, undefined, { 'www-authenticate': 'Bearer realm="herald"' });

/**
 * Client apps authenticate with a user token from POST /v1/users/{id}/tokens and reach only /v1/me. The
 * token must be genuine and unexpired, and still current: its app's secret unchanged and its user the same
 * row it was issued for (not erased, not erased and created again). Only a forged token is a
 * RefusedCredentials (counted by the failed-authentication limit); a genuine one that is stale is not.
 */
export function bearerAuth(deps: HttpDeps, tokens: UserTokens) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) {
      if (!header) throw unauthorized('a user token is required: Authorization: Bearer <token>');
      throw new RefusedCredentials('a user token is required: Authorization: Bearer <token>', 'Bearer');
    }
    const check = await tokens.verify(m[1], deps.clock.now());
    if (!check.ok) {
      if (check.reason === 'forged') throw new RefusedCredentials('the user token is invalid', 'Bearer');
      throw unauthorized('the user token is expired or no longer valid; get a new one');
    }
    const { claims } = check;
    const app = await deps.store.apps.findById(claims.appId);
    const user = app && (await deps.store.users.get(app.id, claims.userId));
    if (!app || !tokens.current(claims, app, user?.incarnation)) throw unauthorized('the user token is expired or no longer valid; get a new one');
    req.me = { ...claims, app };
  };
}

function meOf(req: FastifyRequest) {
  if (!req.me) throw unauthorized('a user token is required');
  return req.me;
}

export async function meRoutes(app: FastifyInstance, deps: HttpDeps, tokens: UserTokens): Promise<void> {
  const { store, clock, send } = deps;
  const recent = new Map<string, number[]>();

  app.post('/v1/users/:id/tokens', { schema: { tags: ['client apps'], params: UserParams, body: TokenBody } }, async (req, reply) => {
    const a = appOf(req);
    const { id } = req.params as Static<typeof UserParams>;
    // The token names this user row (its incarnation, given on the first issue), not only the id.
    const incarnation = await store.users.incarnation(a.id, id, randomBytes(16).toString('base64url'));
    if (!incarnation) throw notFound('unknown_user', `no user "${id}"`);
    const ttl = (req.body as Static<typeof TokenBody> | undefined)?.ttl ?? 3600;
    return reply.status(201).send(await tokens.issue(a, { id, incarnation }, ttl, clock.now()));
  });

  app.post('/v1/me/devices', { schema: { tags: ['client apps'], body: DeviceBody } }, async (req, reply) => {
    const me = meOf(req);
    const body = req.body as Static<typeof DeviceBody>;
    const target = await deviceTarget(body, deps);
    if (!(await store.users.get(me.appId, me.userId))) throw notFound('unknown_user', 'the user no longer exists');
    const now = clock.now();
    const d = await store.devices.register({ id: newId(), app_id: me.appId, user_id: me.userId, platform: body.platform, token: target.token, subscription: target.subscription, active: 1, deactivated_reason: null, created_at: now, updated_at: now });
    return reply.status(d.created_at === now ? 201 : 200).send(presentDevice(d));
  });

  app.get('/v1/me/preferences', { schema: { tags: ['client apps'] } }, async (req) => {
    const me = meOf(req);
    const user = await store.users.get(me.appId, me.userId);
    if (!user) throw notFound('unknown_user', 'the user no longer exists');
    return { channels: {}, categories: {}, ...(user.preferences ? JSON.parse(user.preferences) : {}) };
  });

  app.put('/v1/me/preferences', { schema: { tags: ['client apps'], body: PreferencesBody } }, async (req) => {
    const me = meOf(req);
    const body = req.body as Static<typeof PreferencesBody>;
    if (!(await putPreferences({ store, clock }, me.appId, me.userId, body))) throw notFound('unknown_user', 'the user no longer exists');
    return { channels: {}, categories: {}, ...body };
  });

  // A reminder to oneself: only templates the app allows for clients (settings.client_templates), to the token's user only.
  app.post('/v1/me/notifications', { schema: { tags: ['client apps'], body: ReminderBody } }, async (req, reply) => {
    const me = meOf(req);
    const body = req.body as Static<typeof ReminderBody>;
    const allowed: unknown = JSON.parse(me.app.settings || '{}').client_templates;
    if (!Array.isArray(allowed) || !allowed.includes(body.template)) {
      throw new ApiError(403, 'template_not_allowed', `the app does not let client apps send "${body.template}" (settings.client_templates)`, 'template');
    }
    const key = `${me.appId}/${me.userId}`;
    const now = clock.now();
    const times = (recent.get(key) ?? []).filter((t) => now - t < 3_600_000);
    if (times.length >= REMINDERS_PER_HOUR) {
      const wait = Math.ceil((times[0] + 3_600_000 - now) / 1000);
      throw new ApiError(429, 'rate_limited', `at most ${REMINDERS_PER_HOUR} reminders an hour`, undefined, { 'retry-after': String(wait) });
    }
    const r = await send.send({ id: me.app.id, name: me.app.name }, { ...body, user_id: me.userId });
    if (!r.ok) throw r.error;
    times.push(now);
    recent.set(key, times);
    return reply.status(202).send(r.body);
  });

  // The app's VAPID public key, for pushManager.subscribe({ applicationServerKey }).
  app.get('/v1/me/webpush', { schema: { tags: ['client apps'] } }, async (req) => {
    const me = meOf(req);
    const wp = (await deps.providerSource.load(me.appId)).find((p) => p.name === 'webpush' && p.enabled);
    if (!wp) throw notFound('unknown_provider', 'the app has no Web Push provider configured');
    // Whether this app's Web Push is the sandbox's (decided per app: SandboxFallbackSource).
    return { vapid_public_key: wp.config.vapid_public_key, sandbox: !!wp.sandbox };
  });

  // Sandbox only: a subscription on the local push service, for browsers that cannot reach their own.
  app.post('/v1/me/sandbox/web-subscription', { schema: { tags: ['client apps'] } }, async (req, reply) => {
    const me = meOf(req);
    const wp = (await deps.providerSource.load(me.appId)).find((p) => p.name === 'webpush');
    if (!deps.emulators || !wp?.sandbox) throw notFound('not_found', "only while the app's Web Push is the sandbox's");
    return reply.status(201).send(deps.emulators.webpush.createSubscription({ applicationServerKey: wp?.config.vapid_public_key as string | undefined }));
  });

  app.post('/v1/me/events', { schema: { tags: ['client apps'], body: EventBody } }, async (req, reply) => {
    const me = meOf(req);
    const body = req.body as Static<typeof EventBody>;
    const d = await store.deliveries.findForReceipt({ id: body.delivery_id.toLowerCase(), provider: '' });
    // Another user's delivery is as unknown as a missing one.
    if (!d || d.app_id !== me.appId || d.user_id !== me.userId || d.channel !== 'push') throw notFound('unknown_delivery', 'no such push delivery for this user');
    const counted = await store.tracking.recordOpen(d.id, clock.now());
    return reply.status(202).send({ delivery_id: d.id, type: 'opened', count: counted?.count ?? null });
  });
}
