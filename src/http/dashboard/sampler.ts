import { CHANNELS, type Channel } from '../../domain/delivery.js';
import type { Clock } from '../../ports/clock.js';
import type { Queue } from '../../ports/queue.js';
import type { ChannelQueueStats } from '../../ports/store.js';
import type { Metrics } from '../../services/metrics.js';

export interface Sample {
  at: number;
  stats: ChannelQueueStats[];
  /** Deliveries finished per second since the previous sample; null on the first one. */
  throughput: Record<Channel, number> | null;
}

export interface SamplerOptions {
  everyMs: number;
  keep: number;
  /** Sampling stops this long after the last dashboard view, so an unwatched Herald does no extra reads. */
  idleMs: number;
}

export const SAMPLER_DEFAULTS: SamplerOptions = { everyMs: 2000, keep: 150, idleMs: 10 * 60_000 };

/**
 * The overview's live figures: every 2 s, the queue's stats and the count of finished deliveries,
 * kept in a ring of the last 150 samples (5 minutes) in this process. It starts with the first
 * dashboard view and stops after 10 idle minutes. Throughput is the difference of
 * `herald_deliveries_total` (every status but `retrying`) between samples, so it counts what this
 * process's workers finished; a `herald api` process without workers shows none.
 */
export class LiveSampler {
  private ring: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastWanted = 0;
  private prev: { at: number; counts: Record<Channel, number> } | undefined;
  private taking: Promise<void> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly metrics: Metrics | undefined,
    private readonly clock: Clock,
    readonly opts: SamplerOptions = SAMPLER_DEFAULTS,
  ) {}

  /** A dashboard view: sample now if nothing recent is held, and keep sampling for a while. */
  async want(): Promise<Sample> {
    this.lastWanted = this.clock.now();
    if (!this.timer) {
      this.timer = setInterval(() => {
        if (this.clock.now() - this.lastWanted > this.opts.idleMs) return this.stop();
        void this.take().catch(() => undefined);
      }, this.opts.everyMs);
      this.timer.unref();
    }
    const last = this.ring[this.ring.length - 1];
    if (!last || this.clock.now() - last.at > this.opts.everyMs * 1.5) await this.take();
    return this.ring[this.ring.length - 1];
  }

  samples(): readonly Sample[] {
    return this.ring;
  }

  get throughputKnown(): boolean {
    return this.metrics !== undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A later start measures afresh rather than drawing across the idle gap.
    this.prev = undefined;
    this.ring = [];
  }

  private take(): Promise<void> {
    // One read at a time: a slow queue.stats() is not piled up behind itself.
    return (this.taking ??= this.read().finally(() => (this.taking = undefined)));
  }

  private async read(): Promise<void> {
    const [stats, counts] = await Promise.all([this.queue.stats(), this.finished()]);
    const at = this.clock.now();
    let throughput: Record<Channel, number> | null = null;
    if (counts && this.prev && at > this.prev.at) {
      const dt = (at - this.prev.at) / 1000;
      const p = this.prev.counts;
      throughput = Object.fromEntries(CHANNELS.map((c) => [c, Math.max(0, counts[c] - p[c]) / dt])) as Record<Channel, number>;
    }
    if (counts) this.prev = { at, counts };
    this.ring.push({ at, stats, throughput });
    if (this.ring.length > this.opts.keep) this.ring.splice(0, this.ring.length - this.opts.keep);
  }

  private async finished(): Promise<Record<Channel, number> | undefined> {
    const counter = this.metrics?.registry.getSingleMetric('herald_deliveries_total');
    if (!counter) return undefined;
    const counts = { push: 0, sms: 0, email: 0 } as Record<Channel, number>;
    for (const v of (await counter.get()).values) {
      const channel = v.labels.channel as Channel;
      if (v.labels.status !== 'retrying' && channel in counts) counts[channel] += v.value;
    }
    return counts;
  }
}
