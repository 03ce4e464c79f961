import type { Channel } from '../../domain/delivery.js';
import type { Clock } from '../../ports/clock.js';
import type { Queue } from '../../ports/queue.js';
import type { ChannelQueueStats, Store } from '../../ports/store.js';

export interface Sample {
  at: number;
  stats: ChannelQueueStats[];
}

/** One app's deliveries finished per second over the window that ended at `at`. */
export interface ThroughputPoint {
  at: number;
  perSecond: Record<Channel, number>;
}

export interface SamplerOptions {
  everyMs: number;
  keep: number;
  /** Sampling stops this long after the last dashboard view, so an unwatched Herald does no extra reads. */
  idleMs: number;
  /**
   * How far behind the clock the throughput window ends: a worker stamps an outcome's event when the
   * provider answers and commits it with its batch a moment later, so the newest second is not complete yet.
   */
  lagMs: number;
}

export const SAMPLER_DEFAULTS: SamplerOptions = { everyMs: 2000, keep: 150, idleMs: 10 * 60_000, lagMs: 3000 };

interface Watched {
  appId: string;
  lastWanted: number;
  /** The app's own queue figures, oldest first. */
  ring: Sample[];
  /** End of the last counted window; undefined until the first sample. */
  countedTo?: number;
  points: ThroughputPoint[];
}

/**
 * The overview's live figures, every 2 s in a ring of 150 (5 minutes), from the first dashboard view
 * until 10 idle minutes, per signed-in app: its own queue figures (another app's backlog is not its
 * business: SPEC §11) and its deliveries finished per second, counted in the log (the outcome events of each window). Counting in
 * the log rather than this process's metrics means an `herald api` process shows what the workers of
 * every process finished.
 */
export class LiveSampler {
  private readonly apps = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private taking: Promise<void> | undefined;

  constructor(
    private readonly queue: Queue,
    private readonly analytics: Store['analytics'],
    private readonly clock: Clock,
    readonly opts: SamplerOptions = SAMPLER_DEFAULTS,
  ) {}

  /** A dashboard view by this app: sample now if nothing recent is held, and keep sampling for a while. */
  async want(appId: string): Promise<Sample> {
    const now = this.clock.now();
    let watched = this.apps.get(appId);
    const fresh = !watched;
    if (watched) watched.lastWanted = now;
    else this.apps.set(appId, (watched = { appId, lastWanted: now, ring: [], points: [] }));
    if (!this.timer) {
      this.timer = setInterval(() => {
        if (this.apps.size === 0) return this.stop();
        void this.take().catch(() => undefined);
      }, this.opts.everyMs);
      this.timer.unref();
    }
    const last = watched.ring[watched.ring.length - 1];
    if (!last || now - last.at > this.opts.everyMs * 1.5 || fresh) await this.take();
    return watched.ring[watched.ring.length - 1];
  }

  samples(appId: string): readonly Sample[] {
    return this.apps.get(appId)?.ring ?? [];
  }

  throughput(appId: string): readonly ThroughputPoint[] {
    return this.apps.get(appId)?.points ?? [];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // A later start measures afresh rather than drawing across the idle gap.
    this.apps.clear();
  }

  private take(): Promise<void> {
    // One read at a time: a slow queue.stats() is not piled up behind itself.
    return (this.taking ??= this.read().finally(() => (this.taking = undefined)));
  }

  private async read(): Promise<void> {
    const at = this.clock.now();
    for (const [appId, w] of this.apps) if (at - w.lastWanted > this.opts.idleMs) this.apps.delete(appId);
    const end = at - this.opts.lagMs;
    await Promise.all([...this.apps.values()].map(async (w) => {
      const [stats] = await Promise.all([this.queue.stats(w.appId), this.count(w, end)]);
      w.ring.push({ at, stats });
      if (w.ring.length > this.opts.keep) w.ring.splice(0, w.ring.length - this.opts.keep);
    }));
  }

  private async count(w: Watched, end: number): Promise<void> {
    const from = w.countedTo;
    if (from !== undefined && end <= from) return;
    w.countedTo = end;
    if (from === undefined) return; // the first window starts here
    const counts = await this.analytics.finishedByChannel(w.appId, from, end);
    const dt = (end - from) / 1000;
    w.points.push({ at: end, perSecond: { push: counts.push / dt, sms: counts.sms / dt, email: counts.email / dt } });
    if (w.points.length > this.opts.keep) w.points.splice(0, w.points.length - this.opts.keep);
  }
}
