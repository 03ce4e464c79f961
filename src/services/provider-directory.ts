import { CHANNEL_PROVIDERS, type Channel, type ProviderName } from '../domain/delivery.js';
import { CircuitBreaker, type CircuitState } from '../domain/circuit-breaker.js';
import type { ChannelAdapter } from '../ports/channel-adapter.js';
import type { Clock } from '../ports/clock.js';
import type { ProviderDirectory } from '../ports/provider-directory.js';
import type { Store } from '../ports/store.js';
import { PROVIDERS, type AdapterContext } from '../channels/registry.js';
import type { SecretBox } from './secret-box.js';

export interface ResolvedProvider {
  name: ProviderName;
  config: Record<string, unknown>;
  priority: number;
  enabled: boolean;
  /** Adapters are reused while this stays the same (the row's updated_at; "sandbox" for shared emulators). */
  version: string;
  /** The operator's own configuration (the sandbox emulators), not a tenant's: its adapter connects without the outbound guard. */
  trusted?: boolean;
  /** One of the built-in emulators: its adapter is shared by every app and wrapped in the sandbox rules. */
  sandbox?: boolean;
}

/** Where an app's provider configurations come from: the Store (decrypted), or the sandbox emulators. */
export interface ProviderSource {
  load(appId: string): Promise<ResolvedProvider[]>;
  /** Adapters of a shared source serve every app (one connection pool per provider, not per app). */
  readonly shared: boolean;
}

export class StoreProviderSource implements ProviderSource {
  readonly shared = false;
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
  ) {}
  async load(appId: string): Promise<ResolvedProvider[]> {
    return (await this.store.providers.list(appId)).map((r) => ({
      name: r.name as ProviderName,
      config: JSON.parse(this.box.open(r.config_enc, `${appId}/${r.name}`)),
      priority: r.priority,
      enabled: r.enabled === 1,
      version: String(r.updated_at),
    }));
  }
}

export class StaticProviderSource implements ProviderSource {
  readonly shared = true;
  constructor(private readonly configs: Partial<Record<ProviderName, Record<string, unknown>>>) {}
  async load(): Promise<ResolvedProvider[]> {
    // SMS tries Twilio then Vonage, email SendGrid then SMTP: the registry's order.
    return Object.values(CHANNEL_PROVIDERS)
      .flat()
      .filter((name) => this.configs[name])
      .map((name, i) => ({ name, config: this.configs[name]!, priority: i, enabled: true, version: 'static', trusted: true, sandbox: true }));
  }
}

export interface ProviderHealth {
  provider: ProviderName;
  circuit: CircuitState;
  failure_rate: number;
}

const CACHE_MS = 5_000;

/**
 * Adapters per app and provider, built from the source on first use and rebuilt when the
 * configuration changes; one circuit breaker per app and provider decides failover. The breakers are
 * per app even for the shared sandbox emulators: one app's failing test recipients must not open
 * another app's circuit (SPEC §11).
 */
export class ConfiguredDirectory implements ProviderDirectory {
  private configs = new Map<string, { at: number; list: ResolvedProvider[] }>();
  private adapters = new Map<string, { version: string; adapter: ChannelAdapter }>();
  private breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly source: ProviderSource,
    private readonly ctx: AdapterContext,
    private readonly clock: Clock,
    /**
     * While the sandbox runs: wraps the emulators' adapters (test recipients, the outbox) and the
     * one-off adapters of `build`; an app's own provider serving its traffic is never wrapped.
     */
    private readonly wrap: (a: ChannelAdapter) => ChannelAdapter = (a) => a,
  ) {}

  private async list(appId: string): Promise<ResolvedProvider[]> {
    const key = this.source.shared ? '*' : appId;
    const hit = this.configs.get(key);
    if (hit && this.clock.now() - hit.at < CACHE_MS) return hit.list;
    const list = await this.source.load(appId);
    this.configs.set(key, { at: this.clock.now(), list });
    return list;
  }

  /**
   * After PUT/DELETE /v1/providers in this process (other processes see it within CACHE_MS). The
   * provider's circuit closes: new credentials or a new endpoint deserve a fresh start.
   */
  invalidate(appId: string, provider?: ProviderName): void {
    this.configs.delete(appId);
    if (provider) this.breakers.delete(`${appId}/${provider}`);
  }

  async order(appId: string, channel: Exclude<Channel, 'push'>): Promise<ProviderName[]> {
    return (await this.list(appId)).filter((p) => p.enabled && PROVIDERS[p.name].channel === channel).map((p) => p.name);
  }

  async adapter(appId: string, provider: ProviderName): Promise<ChannelAdapter | undefined> {
    const p = (await this.list(appId)).find((x) => x.name === provider && x.enabled);
    if (!p) return undefined;
    // An emulator (or any shared source's provider) serves every app through one adapter; an app's own is its own.
    const key = this.source.shared || p.sandbox ? provider : `${appId}/${provider}`;
    const cached = this.adapters.get(key);
    if (cached?.version === p.version) return cached.adapter;
    if (cached) void cached.adapter.close().catch(() => {});
    const made = PROVIDERS[provider].create(p.config, p.trusted ? { ...this.ctx, outbound: null } : this.ctx);
    const adapter = p.sandbox ? this.wrap(made) : made;
    this.adapters.set(key, { version: p.version, adapter });
    return adapter;
  }

  /**
   * A one-off adapter for a configuration, built the way this directory builds the ones it serves
   * (same trust anchors and receipt URLs, same sandbox rules), for a test send; the caller closes it.
   * The configuration is a tenant's (a stored one), so it is guarded even in sandbox mode.
   */
  build(provider: ProviderName, config: Record<string, unknown>): ChannelAdapter {
    return this.wrap(PROVIDERS[provider].create(config, this.ctx));
  }

  /** The app's channels served by the sandbox emulators now (all, some or none: SandboxFallbackSource). */
  async sandboxChannels(appId: string): Promise<Channel[]> {
    const list = await this.list(appId);
    return [...new Set(list.filter((p) => p.sandbox).map((p) => PROVIDERS[p.name].channel))];
  }

  private breaker(appId: string, provider: ProviderName): CircuitBreaker {
    const key = `${appId}/${provider}`;
    let b = this.breakers.get(key);
    if (!b) {
      b = new CircuitBreaker({ window: 50, minSamples: 20, threshold: 0.5, openMs: 30_000 }, () => this.clock.now());
      this.breakers.set(key, b);
    }
    return b;
  }

  available(appId: string, provider: ProviderName): boolean {
    return this.breaker(appId, provider).allow();
  }

  report(appId: string, provider: ProviderName, ok: boolean): void {
    this.breaker(appId, provider).record(ok);
  }

  health(appId: string): ProviderHealth[] {
    return Object.values(CHANNEL_PROVIDERS)
      .flat()
      .map((provider) => {
        const b = this.breaker(appId, provider);
        return { provider, circuit: b.state(), failure_rate: b.failureRate() };
      });
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.adapters.values()].map((a) => a.adapter.close()));
    this.adapters.clear();
  }
}
