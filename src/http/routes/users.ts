import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../domain/errors.js';
import { isApnsToken, isEmail, isFcmToken, normalisePhone, webSubscriptionProblem } from '../../domain/contacts.js';
import { newId } from '../../domain/ids.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { IdString } from '../schemas.js';
import { presentDevice, presentUser } from '../present.js';
import type { UsersRow } from '../../ports/store.js';
import type { Preferences } from '../../domain/preferences.js';
import { refuseNonPublicHost } from '../../services/tenant-endpoints.js';

const UserParams = Type.Object({ id: IdString });
const UserBody = Type.Object({
  email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
  phone: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
  locale: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$' }), Type.Null()])),
  timezone: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
const DeviceBody = Type.Union([
  Type.Object({ platform: Type.Union([Type.Literal('ios'), Type.Literal('android')]), token: Type.String({ minLength: 1, maxLength: 4096 }) }),
  Type.Object({
    platform: Type.Literal('web'),
    subscription: Type.Object({
      endpoint: Type.String({ minLength: 1, maxLength: 2048 }),
      keys: Type.Object({ p256dh: Type.String({ maxLength: 200 }), auth: Type.String({ maxLength: 100 }) }),
      expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    }),
  }),
]);
const PrefFlags = Type.Object({ push: Type.Optional(Type.Boolean()), sms: Type.Optional(Type.Boolean()), email: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
// Bounded: a user's own token writes this (/v1/me/preferences), and every send reads it back.
const CATEGORIES_MAX = 100;
const PreferencesBody = Type.Object({
  channels: Type.Optional(PrefFlags),
  categories: Type.Optional(Type.Record(Type.String({ pattern: '^.{1,100}$' }), PrefFlags, { additionalProperties: false, maxProperties: CATEGORIES_MAX })),
  mute: Type.Optional(Type.Boolean()),
  quiet_hours: Type.Optional(
    Type.Object(
      { start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }), end: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }) },
      { additionalProperties: false },
    ),
  ),
});

export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validated device identity: the token, or a web subscription's endpoint. An endpoint is where Herald
 * will connect for the app (and, through /v1/me/devices, for its end users), so the outbound guard
 * checks it too (400 `invalid_endpoint`); the sandbox's own push service on loopback is the one exception.
 */
export async function deviceTarget(
  body: Static<typeof DeviceBody>,
  { outbound, emulators }: Pick<HttpDeps, 'outbound' | 'emulators'>,
): Promise<{ token: string; subscription: string | null }> {
  if (body.platform === 'web') {
    const problem = webSubscriptionProblem(body.subscription);
    if (problem) throw badRequest('invalid_subscription', problem, 'subscription');
    const { endpoint, keys } = body.subscription;
    const url = new URL(endpoint);
    const sandboxPush = emulators && new URL(emulators.webpush.url).origin;
    if (url.origin !== sandboxPush) await refuseNonPublicHost(outbound, url.hostname, 'subscription.endpoint');
    return { token: endpoint, subscription: JSON.stringify({ endpoint, keys }) };
  }
  const ok = body.platform === 'ios' ? isApnsToken(body.token) : isFcmToken(body.token);
  if (!ok) throw badRequest('invalid_token', body.platform === 'ios' ? 'an APNs device token is 64+ hex characters' : 'not an FCM registration token', 'token');
  return { token: body.platform === 'ios' ? body.token.toLowerCase() : body.token, subscription: null };
}

export { DeviceBody, PreferencesBody, UserBody };

type UserDeps = Pick<HttpDeps, 'store' | 'clock'>;

/**
 * `PUT /v1/users/{id}` (and the dashboard's contact form): checks the addresses, then writes; a field
 * left out keeps its value, null clears it. Throws a 400 ApiError before anything is written.
 * `existingOnly` (the dashboard editing a user it showed): never creates one, so a user erased while the
 * form was open stays erased (404) instead of coming back with the form's contacts.
 */
export async function putUser(
  { store, clock }: UserDeps,
  appId: string,
  id: string,
  b: Static<typeof UserBody>,
  opts: { existingOnly?: boolean } = {},
): Promise<{ user: UsersRow; created: boolean }> {
  if (b.email != null && !isEmail(b.email)) throw badRequest('invalid_email', 'email is not a valid address', 'email');
  let phone = b.phone;
  if (b.phone != null) {
    phone = normalisePhone(b.phone);
    if (!phone) throw badRequest('invalid_phone', 'phone must be a valid E.164 number such as +14155552671', 'phone');
  }
  if (b.timezone != null && !validTimezone(b.timezone)) throw badRequest('invalid_timezone', 'timezone must be an IANA name such as Europe/Berlin', 'timezone');
  const now = clock.now();
  const existing = await store.users.get(appId, id);
  if (!existing && opts.existingOnly) throw notFound('unknown_user', `no user "${id}"`);
  const pick = <K extends keyof typeof b>(k: K, prev: unknown) => (b[k] === undefined ? prev : b[k]);
  const row: UsersRow = {
    app_id: appId,
    id,
    email: pick('email', existing?.email ?? null) as string | null,
    phone: (b.phone === undefined ? (existing?.phone ?? null) : phone) as string | null,
    locale: pick('locale', existing?.locale ?? null) as string | null,
    timezone: pick('timezone', existing?.timezone ?? null) as string | null,
    name: pick('name', existing?.name ?? null) as string | null,
    data: b.data === undefined ? (existing?.data ?? null) : JSON.stringify(b.data),
    preferences: existing?.preferences ?? null,
    created_at: existing?.created_at ?? now,
    updated_at: now,
  };
  if (opts.existingOnly) {
    const user = await store.users.update(row);
    if (!user) throw notFound('unknown_user', `no user "${id}"`);
    return { user, created: false };
  }
  return { user: await store.users.upsert(row), created: !existing };
}

/** What `GET /v1/users/{id}/preferences` answers: the stored choices, with empty channels and categories when none. */
export function preferencesOf(user: UsersRow): Preferences & { channels: NonNullable<Preferences['channels']>; categories: NonNullable<Preferences['categories']> } {
  return { channels: {}, categories: {}, ...(user.preferences ? JSON.parse(user.preferences) : {}) };
}

/** `PUT /v1/users/{id}/preferences` (and the dashboard's form): replaces the user's choices; false when no such user. */
export async function putPreferences({ store, clock }: UserDeps, appId: string, id: string, body: Static<typeof PreferencesBody>): Promise<boolean> {
  for (const [cat, flags] of Object.entries(body.categories ?? {})) {
    for (const ch of Object.keys(flags)) if (!['push', 'sms', 'email'].includes(ch)) throw badRequest('invalid_request', `unknown channel "${ch}"`, `categories.${cat}`);
  }
  return store.users.setPreferences(appId, id, JSON.stringify(body), clock.now());
}

export async function userRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const { store, clock } = deps;

  app.put('/v1/users/:id', { schema: { tags: ['users'], params: UserParams, body: UserBody } }, async (req, reply) => {
    const { id } = req.params as Static<typeof UserParams>;
    const { user, created } = await putUser(deps, appOf(req).id, id, req.body as Static<typeof UserBody>);
    return reply.status(created ? 201 : 200).send(presentUser(user));
  });

  app.get('/v1/users/:id', { schema: { tags: ['users'], params: UserParams } }, async (req) => {
    const { id } = req.params as Static<typeof UserParams>;
    const user = await store.users.get(appOf(req).id, id);
    if (!user) throw notFound('unknown_user', `no user "${id}"`);
    return presentUser(user);
  });

  app.delete('/v1/users/:id', { schema: { tags: ['users'], params: UserParams } }, async (req, reply) => {
    const { id } = req.params as Static<typeof UserParams>;
    if (!(await store.users.erase(appOf(req).id, id))) throw notFound('unknown_user', `no user "${id}"`);
    return reply.status(204).send();
  });

  app.post('/v1/users/:id/devices', { schema: { tags: ['users'], params: UserParams, body: DeviceBody } }, async (req, reply) => {
    const a = appOf(req);
    const { id } = req.params as Static<typeof UserParams>;
    const body = req.body as Static<typeof DeviceBody>;
    const target = await deviceTarget(body, deps);
    if (!(await store.users.get(a.id, id))) throw notFound('unknown_user', `no user "${id}"`);
    const now = clock.now();
    const d = await store.devices.register({
      id: newId(),
      app_id: a.id,
      user_id: id,
      platform: body.platform,
      token: target.token,
      subscription: target.subscription,
      active: 1,
      deactivated_reason: null,
      created_at: now,
      updated_at: now,
    });
    return reply.status(d.created_at === now ? 201 : 200).send(presentDevice(d));
  });

  app.get('/v1/users/:id/devices', { schema: { tags: ['users'], params: UserParams } }, async (req) => {
    const a = appOf(req);
    const { id } = req.params as Static<typeof UserParams>;
    if (!(await store.users.get(a.id, id))) throw notFound('unknown_user', `no user "${id}"`);
    return { devices: (await store.devices.listForUser(a.id, id)).map(presentDevice) };
  });

  const DeviceParams = Type.Object({ id: IdString, deviceId: Type.String({ maxLength: 64 }) });
  app.delete('/v1/users/:id/devices/:deviceId', { schema: { tags: ['users'], params: DeviceParams } }, async (req, reply) => {
    const { id, deviceId } = req.params as Static<typeof DeviceParams>;
    if (!(await store.devices.remove(appOf(req).id, id, deviceId))) throw notFound('unknown_device', `no device "${deviceId}" for user "${id}"`);
    return reply.status(204).send();
  });

  app.get('/v1/users/:id/preferences', { schema: { tags: ['users'], params: UserParams } }, async (req) => {
    const { id } = req.params as Static<typeof UserParams>;
    const user = await store.users.get(appOf(req).id, id);
    if (!user) throw notFound('unknown_user', `no user "${id}"`);
    return preferencesOf(user);
  });

  app.put('/v1/users/:id/preferences', { schema: { tags: ['users'], params: UserParams, body: PreferencesBody } }, async (req) => {
    const { id } = req.params as Static<typeof UserParams>;
    const body = req.body as Static<typeof PreferencesBody>;
    if (!(await putPreferences(deps, appOf(req).id, id, body))) throw notFound('unknown_user', `no user "${id}"`);
    return { channels: {}, categories: {}, ...body };
  });
}
