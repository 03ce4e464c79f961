import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PROVIDERS } from '../../channels/registry.js';
import { ProviderConfigs } from '../../services/provider-configs.js';
import { appOf } from '../auth.js';
import type { HttpDeps } from '../deps.js';

const NameParams = Type.Object({ name: Type.String({ maxLength: 20 }) });

export async function providerRoutes(app: FastifyInstance, { store, box, clock, providers, config, sandbox, outbound }: HttpDeps): Promise<void> {
  const configs = new ProviderConfigs(store, box, clock, providers, config, outbound);

  app.put('/v1/providers/:name', { schema: { tags: ['providers'], params: NameParams, body: Type.Object({}, { additionalProperties: true }) } }, async (req) => {
    const { name } = req.params as Static<typeof NameParams>;
    // Default order is the registry's (Twilio before Vonage, SendGrid before SMTP); lower is tried first.
    const v = await configs.save(appOf(req).id, name, req.body as Record<string, unknown>);
    // Only HERALD_SANDBOX=1 keeps a saved provider out of use; otherwise it takes its channel over for this app.
    const forced = config.sandbox === true;
    return { ...v, updated_at: new Date(v.updated_at).toISOString(), ...(forced ? { note: 'HERALD_SANDBOX=1: the emulators serve every channel until Herald runs without it' } : {}) };
  });

  app.get('/v1/providers', { schema: { tags: ['providers'] } }, async (req) => {
    const a = appOf(req);
    const health = new Map(providers.health(a.id).map((h) => [h.provider, h]));
    // This app's channels on the sandbox emulators now (HERALD_SANDBOX=1: all; unset: those it saved no provider for).
    const sandboxChannels = sandbox ? await providers.sandboxChannels(a.id) : [];
    return {
      sandbox: sandboxChannels.length > 0,
      sandbox_channels: sandboxChannels,
      providers: (await configs.list(a.id)).map((v) => ({
        name: v.name,
        channel: PROVIDERS[v.name].channel,
        priority: v.priority,
        enabled: v.enabled,
        config: v.config,
        circuit: health.get(v.name)?.circuit,
        failure_rate: health.get(v.name)?.failure_rate,
        updated_at: new Date(v.updated_at).toISOString(),
      })),
    };
  });

  app.delete('/v1/providers/:name', { schema: { tags: ['providers'], params: NameParams } }, async (req, reply) => {
    const { name } = req.params as Static<typeof NameParams>;
    await configs.remove(appOf(req).id, name);
    return reply.status(204).send();
  });
}
