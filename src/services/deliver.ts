import type { Logger } from 'pino';
import { toDeliveryError, type DeliveryError } from '../domain/delivery-error.js';
import { CHANNEL_PROVIDERS, PRIORITIES, type Channel, type Platform, type Priority, type ProviderName } from '../domain/delivery.js';
import { decideRetry, type RetryPolicy } from '../domain/retry-policy.js';
import type { Preferences } from '../domain/preferences.js';
import type { ChannelContent } from '../domain/content.js';
import type { Clock } from '../ports/clock.js';
import type { Queue } from '../ports/queue.js';
import type { DeliveriesRow, DeliveryOutcome, NewEvent, Store } from '../ports/store.js';
import type { ProviderDirectory } from '../ports/provider-directory.js';
import type { OutboundMessage, WebPushSubscription } from '../ports/channel-adapter.js';
import { inSpan } from '../telemetry.js';

export interface DeliverObserver {
  /** Called once per provider answer, for metrics. */
  onAttempt?(d: DeliveriesRow, provider: string, ok: boolean, latencyMs: number): void;
  onOutcome?(d: DeliveriesRow, outcome: DeliveryOutcome): void;
}

/**
 * One delivery at a time: check it is still open, send it, and answer its outcome (the worker's
 * OutcomeRecorder commits it). Transient failures fail over to the channel's next provider, then back off.
 */
export class DeliverService {
  constructor(
    private readonly store: Store,
    private readonly queue: Queue,
    private readonly providers: ProviderDirectory,
    private readonly clock: Clock,
    private readonly retry: RetryPolicy,
    private readonly log: Logger,
    private readonly observer: DeliverObserver = {},
  ) {}

  /**
   * The claimed deliveries still open, and the claimed ids that are not (cancelled, already sent: they
   * are acked here, there is nothing to send).
   */
  async load(channel: Channel, ids: string[]): Promise<DeliveriesRow[]> {
    const rows = await this.store.deliveries.loadForSend(ids);
    const loaded = new Set(rows.map((r) => r.id));
    const stale = ids.filter((id) => !loaded.has(id));
    if (stale.length) await this.queue.ack(channel, stale);
    return rows;
  }

  /** Sends one loaded delivery and answers its outcome; never throws for a provider's answer. */
  deliver(d: DeliveriesRow): Promise<DeliveryOutcome> {
    return this.deliverOne(d);
  }

  /** For the observer: an outcome was committed. */
  recorded(d: DeliveriesRow, o: DeliveryOutcome): void {
    this.observer.onOutcome?.(d, o);
  }

  private deliverOne(d: DeliveriesRow): Promise<DeliveryOutcome> {
    const attrs = { 'herald.delivery_id': d.id, 'herald.notification_id': d.notification_id, 'herald.channel': d.channel, 'herald.provider': d.provider };
    return inSpan('herald.deliver', d.trace_parent ?? null, attrs, async (span) => {
      const takenUpAt = this.clock.now();
      const o = await this.attempt(d);
      // Another worker held it and its lease ran out with no outcome: that worker may have sent it.
      if (d.relet) {
        o.events.unshift({ app_id: d.app_id, notification_id: d.notification_id, delivery_id: d.id, type: 'lease_expired', at: takenUpAt, data: JSON.stringify({ attempts_recorded: d.attempts }) });
      }
      span.setAttributes({ 'herald.outcome': o.status, 'herald.attempt': o.attempts, 'herald.provider': o.provider });
      return o;
    });
  }

  private async attempt(d: DeliveriesRow): Promise<DeliveryOutcome> {
    const start = this.clock.now();
    const attempts = d.attempts + 1;
    const ev = (type: string, data?: object): NewEvent => ({
      app_id: d.app_id,
      notification_id: d.notification_id,
      delivery_id: d.id,
      type,
      at: this.clock.now(),
      data: data ? JSON.stringify(data) : null,
    });

    if (d.expires_at !== null && start >= d.expires_at) {
      return { id: d.id, status: 'expired', provider: d.provider, attempts: d.attempts, events: [ev('expired', { reason: 'ttl' })] };
    }

    const provider = await this.pickProvider(d);
    const adapter = provider ? await this.providers.adapter(d.app_id, provider) : undefined;
    if (!provider || !adapter) {
      return {
        id: d.id,
        status: 'failed',
        provider: provider ?? d.provider,
        attempts,
        reason: 'no_provider',
        events: [ev('failed', { error: `no provider configured for ${d.channel}`, permanent: true })],
      };
    }

    try {
      const res = await adapter.send(this.message(d));
      const latency = this.clock.now() - start;
      this.providers.report(d.app_id, provider, true);
      this.observer.onAttempt?.(d, provider, true, latency);
      return {
        id: d.id,
        status: 'sent',
        provider,
        attempts,
        providerMessageId: res.providerMessageId ?? null,
        events: [ev('sent', { provider, provider_message_id: res.providerMessageId, attempt: attempts })],
      };
    } catch (raw) {
      const err = toDeliveryError(raw);
      this.providers.report(d.app_id, provider, !err.transient);
      this.observer.onAttempt?.(d, provider, false, this.clock.now() - start);
      return this.onFailure(d, provider, attempts, err, ev);
    }
  }

  private async onFailure(
    d: DeliveriesRow,
    provider: ProviderName,
    attempts: number,
    err: DeliveryError,
    ev: (type: string, data?: object) => NewEvent,
  ): Promise<DeliveryOutcome> {
    const info = { provider, error: err.message, code: err.providerCode, status: err.status, kind: err.kind, attempt: attempts };
    this.log.warn({ notification_id: d.notification_id, delivery_id: d.id, ...info }, 'provider call failed');
    const base = { id: d.id, attempts, provider, lastError: `${err.providerCode ?? err.kind}: ${err.message}`.slice(0, 500) };

    if (!err.transient) {
      await this.onDeadTarget(d, err);
      return { ...base, status: 'failed', reason: err.kind, events: [ev('failed', { ...info, permanent: true })] };
    }

    const now = this.clock.now();
    const next = await this.failoverTarget(d, provider);
    if (next && attempts < this.retry.maxAttempts) {
      return { ...base, status: 'queued', provider: next, runAt: now, events: [ev('retrying', { ...info, next_provider: next, delay_ms: 0 })] };
    }
    const decision = decideRetry(this.retry, attempts, now, d.expires_at, err.retryAfterMs);
    if (decision.action === 'retry') {
      const first = d.channel === 'push' ? provider : ((await this.orderFor(d))[0] ?? provider);
      return { ...base, status: 'queued', provider: first, runAt: now + decision.delayMs, events: [ev('retrying', { ...info, delay_ms: decision.delayMs })] };
    }
    if (decision.action === 'expire') return { ...base, status: 'expired', events: [ev('expired', { ...info, reason: 'ttl' })] };
    return { ...base, status: 'failed', reason: 'max_attempts', events: [ev('failed', { ...info, permanent: false, reason: 'max_attempts' })] };
  }

  /** A dead device is deactivated; a recipient who opted out at the carrier gets their SMS preference turned off. */
  private async onDeadTarget(d: DeliveriesRow, err: DeliveryError): Promise<void> {
    if (err.kind !== 'invalid_recipient') return;
    if (d.device_id) await this.store.devices.deactivate(d.device_id, err.providerCode ?? 'invalid_recipient', this.clock.now());
    if (err.optedOut && d.user_id) {
      const user = await this.store.users.get(d.app_id, d.user_id);
      if (user) {
        const prefs: Preferences = user.preferences ? JSON.parse(user.preferences) : {};
        prefs.channels = { ...prefs.channels, [d.channel]: false };
        await this.store.users.setPreferences(d.app_id, d.user_id, JSON.stringify(prefs), this.clock.now());
      }
    }
  }

  private orderFor(d: DeliveriesRow): Promise<ProviderName[]> {
    return d.channel === 'push' ? Promise.resolve([d.provider as ProviderName]) : this.providers.order(d.app_id, d.channel as 'sms' | 'email');
  }

  /** The delivery's provider, unless its circuit is open and another one of the channel can take it. */
  private async pickProvider(d: DeliveriesRow): Promise<ProviderName | undefined> {
    if (d.channel === 'push') return d.provider as ProviderName;
    const order = await this.orderFor(d);
    const current = order.includes(d.provider as ProviderName) ? (d.provider as ProviderName) : order[0];
    if (!current || this.providers.available(d.app_id, current)) return current;
    return order.find((p) => p !== current && this.providers.available(d.app_id, p)) ?? current;
  }

  private async failoverTarget(d: DeliveriesRow, failed: ProviderName): Promise<ProviderName | undefined> {
    if (d.channel === 'push') return undefined;
    const order = await this.orderFor(d);
    const i = order.indexOf(failed);
    return order.slice(i + 1).find((p) => this.providers.available(d.app_id, p));
  }

  private message(d: DeliveriesRow): OutboundMessage {
    const c = JSON.parse(d.content ?? '{}') as ChannelContent & { subscription?: WebPushSubscription };
    return {
      deliveryId: d.id,
      appId: d.app_id,
      channel: d.channel as Channel,
      platform: (d.platform ?? undefined) as Platform | undefined,
      to: d.to_addr,
      subscription: c.subscription,
      push: c.push,
      sms: c.sms,
      email: c.email,
      priority: PRIORITIES[d.priority_rank] as Priority,
      expiresAt: d.expires_at ?? undefined,
      category: d.category ?? undefined,
    };
  }
}

export const ALL_PROVIDERS = Object.values(CHANNEL_PROVIDERS).flat();
