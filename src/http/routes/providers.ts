import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest, notFound } from '../../domain/errors.js';
import { CHANNEL_PROVIDERS, type ProviderName } from '../../domain/delivery.js';
import { PROVIDERS, isProviderName, redact } from '../../channels/registry.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';

const NameParams = Type.Object({ name: Type.String({ maxLength: 20 }) });
const Common = Type.Object({ priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })), enabled: Type.Optional(Type.Boolean()) });

/** One compiled check per provider: its own fields plus priority and enabled, nothing else. */
const checks = Object.fromEntries(
  Object.entries(PROVIDERS).map(([name, spec]) => [name, TypeCompiler.Compile(Type.Composite([spec.schema, Common], { additionalProperties: false }))]),
) as Record<ProviderName, TypeCheck<any>>;

export async function providerRoutes(app: FastifyInstance, { store, box, clock, providers, config, sandbox }: HttpDeps): Promise<void> {
  const known = () => new ApiError(404, 'unknown_provider', `providers are ${Object.keys(PROVIDERS).join(', ')}`);

  app.put('/v1/providers/:name', { schema: { tags: ['providers'], params: NameParams, body: Type.Object({}, { additionalProperties: true }) } }, async (req) => {
    const a = appOf(req);
    const { name } = req.params as Static<typeof NameParams>;
    if (!isProviderName(name)) throw known();
    const body = req.body as Record<string, unknown>;
    const check = checks[name];
    if (!check.Check(body)) {
      const e = check.Errors(body).First();
      const field = (e?.path ?? '').split('/').filter(Boolean).join('.');
      throw badRequest('invalid_provider_config', `${field || name}: ${e?.message ?? 'invalid'}`, field || undefined);
    }
    const { priority, enabled, ...cfg } = body as { priority?: number; enabled?: boolean } & Record<string, unknown>;
    // Building the adapter checks what the schema cannot (a key that does not parse, a sender missing).
    try {
      await PROVIDERS[name].create(cfg, { publicUrl: config.publicUrl }).close();
    } catch (err) {
      throw badRequest('invalid_provider_config', `${name}: ${(err as Error).message}`);
    }
    const now = clock.now();
    // Default order is the registry's (Twilio before Vonage, SendGrid before SMTP); lower is tried first.
    const prio = priority ?? CHANNEL_PROVIDERS[PROVIDERS[name].channel].indexOf(name) * 10;
    await store.providers.upsert({ app_id: a.id, name, config_enc: box.seal(JSON.stringify(cfg), `${a.id}/${name}`), priority: prio, enabled: enabled === false ? 0 : 1, updated_at: now });
    providers.invalidate(a.id, name);
    return { name, channel: PROVIDERS[name].channel, priority: prio, enabled: enabled !== false, config: redact(name, cfg), updated_at: new Date(now).toISOString(), ...(sandbox ? { note: 'sandbox mode is on: the emulators serve every channel until Herald runs with HERALD_SANDBOX=0' } : {}) };
  });

  app.get('/v1/providers', { schema: { tags: ['providers'] } }, async (req) => {
    const a = appOf(req);
    const rows = await store.providers.list(a.id);
    const health = new Map(providers.health(a.id).map((h) => [h.provider, h]));
    return {
      sandbox,
      providers: rows.map((r) => {
        const name = r.name as ProviderName;
        return {
          name,
          channel: PROVIDERS[name].channel,
          priority: r.priority,
          enabled: r.enabled === 1,
          config: redact(name, JSON.parse(box.open(r.config_enc, `${a.id}/${name}`))),
          circuit: health.get(name)?.circuit,
          failure_rate: health.get(name)?.failure_rate,
          updated_at: new Date(r.updated_at).toISOString(),
        };
      }),
    };
  });

  app.delete('/v1/providers/:name', { schema: { tags: ['providers'], params: NameParams } }, async (req, reply) => {
    const a = appOf(req);
    const { name } = req.params as Static<typeof NameParams>;
    if (!isProviderName(name)) throw known();
    if (!(await store.providers.remove(a.id, name))) throw notFound('unknown_provider', `no ${name} configuration`);
    providers.invalidate(a.id, name);
    return reply.status(204).send();
  });
}
