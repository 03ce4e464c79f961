import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PROVIDERS, isProviderName } from '../../channels/registry.js';
import { ApiError, badRequest } from '../../domain/errors.js';
import type { ProviderName } from '../../domain/delivery.js';
import { ProviderConfigs, unknownProvider } from '../../services/provider-configs.js';
import { ProviderTestSend } from '../../services/provider-test-send.js';
import { HIDDEN, formOf, navFor, seeOther, sendPage, signedIn, type DashCtx } from './context.js';
import { bodyFromForm } from './provider-forms.js';
import { providerEditPage, type EditState } from './provider-edit.js';
import { providersPage, rolesOf } from './provider-list.js';

/** A provider name from the path, or the 404 every unknown one gets. */
function nameOf(req: FastifyRequest): ProviderName {
  const name = String((req.params as { name?: unknown }).name ?? '');
  if (!isProviderName(name)) throw unknownProvider();
  return name;
}

/** A `?saved=twilio`-style notice parameter, only when it names a provider (nothing else is echoed). */
function flash(req: FastifyRequest): { kind: 'saved' | 'deleted' | 'moved' | 'unmoved'; name: ProviderName } | undefined {
  const q = (req.query ?? {}) as Record<string, unknown>;
  for (const kind of ['saved', 'deleted', 'moved', 'unmoved'] as const) {
    const v = q[kind];
    if (typeof v === 'string' && isProviderName(v)) return { kind, name: v };
  }
  return undefined;
}

/**
 * `GET /dashboard/providers` (each channel's providers in failover order with their circuit and
 * failure rate) and, per provider, `GET|POST /dashboard/providers/{name}` (its settings),
 * `POST …/{name}/test` (a test message through it), `…/{name}/move` and `…/{name}/delete`. The
 * settings go through ProviderConfigs, as PUT /v1/providers does; every read is redacted the same way.
 */
export async function providerPageRoutes(app: FastifyInstance, ctx: DashCtx): Promise<void> {
  const { store, box, clock, providers, config, sandbox, providerSource, outbound } = ctx.deps;
  const configs = new ProviderConfigs(store, box, clock, providers, config, outbound);
  const tests = new ProviderTestSend(store, box, providers);

  /** The emulators serving this app's channels now (every channel under HERALD_SANDBOX=1, else those it saved nothing for); undefined when none. */
  async function inUse(appId: string): Promise<{ name: ProviderName; enabled: boolean }[] | undefined> {
    const emulated = (await providerSource.load(appId)).filter((p) => p.sandbox).map((p) => ({ name: p.name, enabled: p.enabled }));
    return emulated.length ? emulated : undefined;
  }

  async function editState(appId: string, name: ProviderName, extra: Partial<EditState> = {}): Promise<EditState> {
    const all = await configs.list(appId);
    const stored = all.find((v) => v.name === name);
    const channel = PROVIDERS[name].channel;
    const emulated = sandbox && (await providers.sandboxChannels(appId)).includes(channel);
    return { name, stored, role: stored && rolesOf(all).get(name), sandbox, emulated, forced: config.sandbox === true, ...extra };
  }

  app.get('/providers', HIDDEN, async (req, reply) => {
    const appId = signedIn(req).app.id;
    const saved = await configs.list(appId);
    const page = providersPage(navFor(req, ctx, 'providers'), {
      saved,
      inUse: sandbox ? await inUse(appId) : undefined,
      forced: config.sandbox === true,
      health: providers.health(appId),
      flash: flash(req),
    });
    return sendPage(reply, page);
  });

  app.get('/providers/:name', HIDDEN, async (req, reply) => {
    const name = nameOf(req);
    return sendPage(reply, providerEditPage(navFor(req, ctx, 'providers'), await editState(signedIn(req).app.id, name)));
  });

  app.post('/providers/:name', HIDDEN, async (req, reply) => {
    const name = nameOf(req);
    const appId = signedIn(req).app.id;
    const { body, clear } = bodyFromForm(name, formOf(req));
    try {
      await configs.save(appId, name, body, { keepStoredSecrets: true, clearSecrets: clear });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      const state = await editState(appId, name, { values: body, settingsError: { message: err.message, field: err.field } });
      return sendPage(reply, providerEditPage(navFor(req, ctx, 'providers'), state), { status: 400 });
    }
    return seeOther(reply, `/dashboard/providers?saved=${name}`);
  });

  app.post('/providers/:name/test', HIDDEN, async (req, reply) => {
    const name = nameOf(req);
    const s = signedIn(req);
    const to = (formOf(req).get('to') ?? '').trim().slice(0, 4000);
    try {
      const result = await tests.send({ id: s.app.id, name: s.app.name }, name, to);
      return sendPage(reply, providerEditPage(navFor(req, ctx, 'providers'), await editState(s.app.id, name, { result, testTo: to })));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      const state = await editState(s.app.id, name, { testError: err.message, testTo: to });
      return sendPage(reply, providerEditPage(navFor(req, ctx, 'providers'), state), { status: 400 });
    }
  });

  app.post('/providers/:name/move', HIDDEN, async (req, reply) => {
    const name = nameOf(req);
    const direction = formOf(req).get('direction');
    if (direction !== 'up' && direction !== 'down') throw badRequest('invalid_request', 'Move a provider up or down.');
    const moved = await configs.move(signedIn(req).app.id, name, direction);
    return seeOther(reply, `/dashboard/providers?${moved ? 'moved' : 'unmoved'}=${name}`);
  });

  app.post('/providers/:name/delete', HIDDEN, async (req, reply) => {
    const name = nameOf(req);
    await configs.remove(signedIn(req).app.id, name);
    return seeOther(reply, `/dashboard/providers?deleted=${name}`);
  });
}
