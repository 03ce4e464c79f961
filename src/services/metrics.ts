import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from '../ports/queue.js';
import type { DeliveriesRow, DeliveryOutcome } from '../ports/store.js';
import type { DeliverObserver } from './deliver.js';

/**
 * The Prometheus metrics of SPEC §7. Labels are bounded (channel, provider, status, route pattern);
 * never a user, app or notification id. Queue figures are read from the queue at scrape time, so
 * every process reports the same, right across many processes.
 */
export class Metrics implements DeliverObserver {
  readonly registry = new Registry();
  private readonly deliveries: Counter<'channel' | 'provider' | 'status'>;
  private readonly providerRequests: Counter<'provider' | 'outcome'>;
  private readonly providerLatency: Histogram<'provider'>;
  private readonly deliveryLatency: Histogram<'channel'>;
  readonly apiRequests: Counter<'route' | 'status'>;
  /** 1 while an alert is raised (label: the alert key, e.g. queue_depth:sms — bounded by channels and providers). */
  readonly alertsActive: Gauge<'alert'>;

  constructor(queue: Queue) {
    // The event-loop delay monitor samples every 100 ms, not 10: each sample is a timer wake-up (100 a
    // second cost an idle process more than all its work), and a late sample still shows the whole delay.
    collectDefaultMetrics({ register: this.registry, prefix: 'herald_', eventLoopMonitoringPrecision: 100 });
    const registers = [this.registry];
    this.deliveries = new Counter({ name: 'herald_deliveries_total', help: 'Deliveries by the status a worker recorded', labelNames: ['channel', 'provider', 'status'], registers });
    this.providerRequests = new Counter({ name: 'herald_provider_requests_total', help: 'Provider calls by outcome (ok, error)', labelNames: ['provider', 'outcome'], registers });
    this.providerLatency = new Histogram({
      name: 'herald_provider_latency_seconds',
      help: 'Time of one provider call',
      labelNames: ['provider'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'herald_delivery_latency_seconds',
      help: "From the API's accept to the provider's answer",
      labelNames: ['channel'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.alertsActive = new Gauge({ name: 'herald_alerts_active', help: 'Alerts raised and not yet resolved', labelNames: ['alert'], registers });
    this.apiRequests = new Counter({ name: 'herald_api_requests_total', help: 'HTTP requests by route pattern and status', labelNames: ['route', 'status'], registers });
    const stats = () => queue.stats();
    let pending: ReturnType<typeof stats> | undefined;
    // Both gauges come from one read of the queue per scrape.
    const read = () => (pending ??= stats().finally(() => setTimeout(() => (pending = undefined), 0)));
    new Gauge({
      name: 'herald_queue_depth',
      help: 'Deliveries due and waiting for a worker',
      labelNames: ['channel'],
      registers,
      async collect() {
        for (const s of await read()) this.set({ channel: s.channel }, s.depth);
      },
    });
    new Gauge({
      name: 'herald_queue_oldest_age_seconds',
      help: 'Age of the oldest due delivery',
      labelNames: ['channel'],
      registers,
      async collect() {
        for (const s of await read()) this.set({ channel: s.channel }, s.oldest_age_ms / 1000);
      },
    });
    new Gauge({
      name: 'herald_queue_in_flight',
      help: 'Deliveries held by a worker',
      labelNames: ['channel'],
      registers,
      async collect() {
        for (const s of await read()) this.set({ channel: s.channel }, s.in_flight);
      },
    });
    new Gauge({
      name: 'herald_dead_letters',
      help: 'Deliveries that failed for good',
      labelNames: ['channel'],
      registers,
      async collect() {
        for (const s of await read()) this.set({ channel: s.channel }, s.dead);
      },
    });
  }

  onAttempt(d: DeliveriesRow, provider: string, ok: boolean, latencyMs: number): void {
    this.providerRequests.inc({ provider, outcome: ok ? 'ok' : 'error' });
    this.providerLatency.observe({ provider }, latencyMs / 1000);
    if (ok) this.deliveryLatency.observe({ channel: d.channel }, Math.max(0, Date.now() - d.created_at) / 1000);
  }

  onOutcome(d: DeliveriesRow, o: DeliveryOutcome): void {
    this.deliveries.inc({ channel: d.channel, provider: o.provider || 'none', status: o.status === 'queued' ? 'retrying' : o.status });
  }
}
