import type { Logger } from 'pino';
import { parseAppSettings, type AlertThresholds } from '../domain/app-settings.js';
import type { Clock } from '../ports/clock.js';
import type { Queue } from '../ports/queue.js';
import type { ChannelQueueStats, Store } from '../ports/store.js';
import type { ProviderHealth } from './provider-directory.js';

export interface AlertCheck {
  key: string;
  value: number;
  threshold: number | undefined;
}

/** What each threshold measures, now: one check per channel or provider where it applies. */
export function alertChecks(t: AlertThresholds, queues: ChannelQueueStats[], health: ProviderHealth[], deadLastHour: number): AlertCheck[] {
  return [
    ...queues.map((q) => ({ key: `queue_depth:${q.channel}`, value: q.depth, threshold: t.queue_depth })),
    ...queues.map((q) => ({ key: `oldest_age_s:${q.channel}`, value: Math.round(q.oldest_age_ms / 1000), threshold: t.oldest_age_s })),
    ...health.map((h) => ({ key: `provider_failure_rate:${h.provider}`, value: h.failure_rate, threshold: t.provider_failure_rate })),
    { key: 'dead_letters_per_hour', value: deadLastHour, threshold: t.dead_letters_per_hour },
  ];
}

/**
 * Evaluates each app's alert thresholds (PUT /v1/settings `alerts`). Crossing one writes an
 * `alert.raised` event (which outbound webhooks carry), a log line and a metric; coming back under
 * it writes `alert.resolved`. The alert's state row decides atomically, so repeated ticks and
 * several processes coalesce into one event per crossing.
 */
export class AlertService {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly queue: Queue,
    private readonly health: (appId: string) => ProviderHealth[],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onChange: (key: string, active: boolean) => void = () => {},
  ) {}

  start(everyMs = 10_000): void {
    const loop = async () => {
      await this.tick().catch((err) => this.log.error({ err }, 'alert evaluation failed'));
      if (this.timer) this.timer = setTimeout(loop, everyMs);
    };
    this.timer = setTimeout(loop, everyMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One evaluation of every app with thresholds; returns the events written. */
  async tick(): Promise<{ raised: string[]; resolved: string[] }> {
    const out = { raised: [] as string[], resolved: [] as string[] };
    const apps = await this.store.alerts.appsWithAlertSettings();
    if (apps.length === 0) return out;
    for (const app of apps) {
      // The app's own queue figures: another app's backlog must not raise this app's alerts (SPEC §11).
      const queues = await this.queue.stats(app.id);
      const t = parseAppSettings(app.settings).alerts ?? {};
      const now = this.clock.now();
      const dead = t.dead_letters_per_hour !== undefined ? await this.store.alerts.deadSince(app.id, now - 3_600_000) : 0;
      for (const c of alertChecks(t, queues, this.health(app.id), dead)) {
        const event = (type: string) => ({ app_id: app.id, notification_id: 'alert', delivery_id: null, type, at: now, data: JSON.stringify({ alert: c.key, value: c.value, threshold: c.threshold ?? null }) });
        if (c.threshold !== undefined && c.value >= c.threshold) {
          if (await this.store.alerts.raise({ app_id: app.id, key: c.key, value: c.value, threshold: c.threshold, at: now }, event('alert.raised'))) {
            this.log.warn({ app_id: app.id, alert: c.key, value: c.value, threshold: c.threshold }, 'alert.raised');
            this.onChange(c.key, true);
            out.raised.push(c.key);
          }
        } else if (await this.store.alerts.resolve({ app_id: app.id, key: c.key, value: c.value, at: now }, event('alert.resolved'))) {
          this.log.info({ app_id: app.id, alert: c.key, value: c.value }, 'alert.resolved');
          this.onChange(c.key, false);
          out.resolved.push(c.key);
        }
      }
    }
    return out;
  }
}
