import { effectiveSettings, parseAppSettings, type AppSettings } from '../domain/app-settings.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';

/**
 * App settings (`GET`/`PUT /v1/settings`). Sends read them fresh from the store; the API rate
 * limiter asks on every request, so it reads through a short cache: a change made in this process
 * applies at once, one made through another API process within `ttlMs`.
 */
export class SettingsService {
  private cache = new Map<string, { settings: AppSettings; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ttlMs = 5000,
  ) {}

  /** Every section with its defaults; undefined when no such app. */
  async read(appId: string): Promise<Required<AppSettings> | undefined> {
    const json = await this.store.apps.getSettings(appId);
    if (json === undefined) return undefined;
    const settings = parseAppSettings(json);
    this.remember(appId, settings);
    return effectiveSettings(settings);
  }

  async cached(appId: string): Promise<Required<AppSettings>> {
    const hit = this.cache.get(appId);
    if (hit && this.clock.now() - hit.at < this.ttlMs) return effectiveSettings(hit.settings);
    return (await this.read(appId)) ?? effectiveSettings({});
  }

  /** Replaces the given sections (null returns one to its defaults); the body was validated by the route. */
  async update(appId: string, sections: Record<string, unknown>): Promise<Required<AppSettings> | undefined> {
    const json = await this.store.apps.updateSettings(appId, sections);
    if (json === undefined) return undefined;
    const settings = parseAppSettings(json);
    this.remember(appId, settings);
    return effectiveSettings(settings);
  }

  private remember(appId: string, settings: AppSettings): void {
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(appId, { settings, at: this.clock.now() });
  }
}
