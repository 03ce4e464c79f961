import { Type } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ApiError, badRequest, notFound } from '../domain/errors.js';
import { CHANNEL_PROVIDERS, type Channel, type ProviderName } from '../domain/delivery.js';
import type { Clock } from '../ports/clock.js';
import type { ProvidersRow, Store } from '../ports/store.js';
import type { OutboundGuard } from '../ports/outbound-guard.js';
import { PROVIDERS, isProviderName, redact } from '../channels/registry.js';
import type { SecretBox } from './secret-box.js';
import { refuseNonPublicHost } from './tenant-endpoints.js';

/** A stored provider configuration as reads show it: secrets replaced by `"***"`. */
export interface ProviderView {
  name: ProviderName;
  channel: Channel;
  priority: number;
  enabled: boolean;
  config: Record<string, unknown>;
  updated_at: number;
}

/** What a configuration change must tell: the directory drops its cached adapters and circuit for it. */
export interface ProviderInvalidation {
  invalidate(appId: string, provider?: ProviderName): void;
}

const Common = Type.Object({ priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })), enabled: Type.Optional(Type.Boolean()) });

/** One compiled check per provider: its own fields plus priority and enabled, nothing else. */
const checks = Object.fromEntries(
  Object.entries(PROVIDERS).map(([name, spec]) => [name, TypeCompiler.Compile(Type.Composite([spec.schema, Common], { additionalProperties: false }))]),
) as Record<ProviderName, TypeCheck<any>>;

export const unknownProvider = () => new ApiError(404, 'unknown_provider', `providers are ${Object.keys(PROVIDERS).join(', ')}`);

/** The registry's order within a channel, ten apart, so an operator can slot one in between. */
export const defaultPriority = (name: ProviderName) => CHANNEL_PROVIDERS[PROVIDERS[name].channel].indexOf(name) * 10;

/**
 * An app's provider configurations (SPEC §5), as `PUT/GET/DELETE /v1/providers` and the dashboard's
 * providers page use them: validated by the registry's schema and by building the adapter, stored
 * sealed with the app and provider as associated data, read back redacted.
 */
export class ProviderConfigs {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly directory: ProviderInvalidation,
    /** Read at each save: the public URL is completed when the server listens. */
    private readonly config: { readonly publicUrl: string },
    /** Endpoints, token URIs and SMTP hosts are where Herald will connect with the app's credentials. */
    private readonly outbound: OutboundGuard,
  ) {}

  async list(appId: string): Promise<ProviderView[]> {
    return (await this.store.providers.list(appId)).map((r) => this.view(appId, r));
  }

  async get(appId: string, name: ProviderName): Promise<ProviderView | undefined> {
    const row = (await this.store.providers.list(appId)).find((r) => r.name === name);
    return row && this.view(appId, row);
  }

  /**
   * Creates or replaces a configuration. With `keepStoredSecrets`, a secret the body leaves out keeps its
   * stored value (a form that never shows secrets back can still change the other fields); `clearSecrets`
   * names optional secrets to drop instead.
   */
  async save(appId: string, name: string, body: Record<string, unknown>, opts: { keepStoredSecrets?: boolean; clearSecrets?: string[] } = {}): Promise<ProviderView> {
    if (!isProviderName(name)) throw unknownProvider();
    const merged = opts.keepStoredSecrets ? await this.withStoredSecrets(appId, name, body, new Set(opts.clearSecrets)) : body;
    const check = checks[name];
    if (!check.Check(merged)) {
      const e = check.Errors(merged).First();
      const field = (e?.path ?? '').split('/').filter(Boolean).join('.');
      throw badRequest('invalid_provider_config', `${field || name}: ${e?.message ?? 'invalid'}`, field || undefined);
    }
    const { priority, enabled, ...cfg } = merged as { priority?: number; enabled?: boolean } & Record<string, unknown>;
    // Building the adapter checks what the schema cannot (a key that does not parse, a sender missing).
    // It is closed unused, so it needs no outbound guard.
    try {
      await PROVIDERS[name].create(cfg, { publicUrl: this.config.publicUrl, outbound: null }).close();
    } catch (err) {
      throw badRequest('invalid_provider_config', `${name}: ${(err as Error).message}`);
    }
    await this.checkDestinations(name, cfg);
    const row: ProvidersRow = {
      app_id: appId,
      name,
      config_enc: this.box.seal(JSON.stringify(cfg), `${appId}/${name}`),
      priority: priority ?? defaultPriority(name),
      enabled: enabled === false ? 0 : 1,
      updated_at: this.clock.now(),
    };
    await this.store.providers.upsert(row);
    this.directory.invalidate(appId, name);
    return { name, channel: PROVIDERS[name].channel, priority: row.priority, enabled: row.enabled === 1, config: redact(name, cfg), updated_at: row.updated_at };
  }

  async remove(appId: string, name: string): Promise<void> {
    if (!isProviderName(name)) throw unknownProvider();
    if (!(await this.store.providers.remove(appId, name))) throw notFound('unknown_provider', `no ${name} configuration`);
    this.directory.invalidate(appId, name);
  }

  /**
   * Moves a provider one place earlier or later in its channel's failover order, renumbering the
   * channel's providers 0, 10, 20… so the order is explicit afterwards. False when it is already at that end.
   */
  async move(appId: string, name: string, direction: 'up' | 'down'): Promise<boolean> {
    if (!isProviderName(name)) throw unknownProvider();
    const rows = (await this.store.providers.list(appId)).filter((r) => isProviderName(r.name) && PROVIDERS[r.name].channel === PROVIDERS[name].channel);
    const i = rows.findIndex((r) => r.name === name);
    if (i < 0) throw notFound('unknown_provider', `no ${name} configuration`);
    const j = direction === 'up' ? i - 1 : i + 1;
    if (j < 0 || j >= rows.length) return false;
    [rows[i], rows[j]] = [rows[j], rows[i]];
    const now = this.clock.now();
    // The sealed configuration is kept as it is: it is bound to the app and provider, not to the priority.
    for (const [k, r] of rows.entries()) {
      if (r.priority !== k * 10) await this.store.providers.upsert({ ...r, priority: k * 10, updated_at: now });
    }
    // Only the order changed: the circuits keep what they learnt about each provider.
    this.directory.invalidate(appId);
    return true;
  }

  /** SPEC §11: every endpoint the configuration names must be public now (and is checked again at each connection). */
  private async checkDestinations(name: ProviderName, cfg: Record<string, unknown>): Promise<void> {
    for (const { path, kind } of PROVIDERS[name].destinations) {
      const value = getPath(cfg, path);
      if (typeof value !== 'string') continue;
      let host = value;
      if (kind === 'url') {
        try {
          host = new URL(value).hostname;
        } catch {
          throw badRequest('invalid_provider_config', `${path}: not a URL`, path);
        }
      }
      await refuseNonPublicHost(this.outbound, host, path);
    }
  }

  private view(appId: string, r: ProvidersRow): ProviderView {
    const name = r.name as ProviderName;
    return {
      name,
      channel: PROVIDERS[name].channel,
      priority: r.priority,
      enabled: r.enabled === 1,
      config: redact(name, JSON.parse(this.box.open(r.config_enc, `${appId}/${name}`))),
      updated_at: r.updated_at,
    };
  }

  private async withStoredSecrets(appId: string, name: ProviderName, body: Record<string, unknown>, clear: Set<string>): Promise<Record<string, unknown>> {
    const row = (await this.store.providers.list(appId)).find((r) => r.name === name);
    if (!row) return body;
    const stored = JSON.parse(this.box.open(row.config_enc, `${appId}/${name}`)) as Record<string, unknown>;
    const out = structuredClone(body);
    for (const path of PROVIDERS[name].secrets) {
      if (clear.has(path) || getPath(out, path) !== undefined) continue;
      const old = getPath(stored, path);
      if (old !== undefined) setPath(out, path, old);
    }
    return out;
  }
}

function getPath(o: Record<string, unknown>, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

/** Only into objects the body already has: a secret alone does not make a nested section exist. */
function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: unknown = o;
  for (const p of parts.slice(0, -1)) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  if (cur && typeof cur === 'object' && !Array.isArray(cur)) (cur as Record<string, unknown>)[parts[parts.length - 1]] = value;
}
