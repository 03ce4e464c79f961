import type { Logger } from 'pino';
import type { Clock } from '../../ports/clock.js';
import type { OpenDue, Store } from '../../ports/store.js';
import { CHANNELS, PRIORITIES, PRIORITY_RANK } from '../../domain/delivery.js';
import type { BullMqQueue } from './bullmq-queue.js';

export interface SweeperOptions {
  /** Time between sweeps, across all processes: one process sweeps per interval. */
  intervalMs: number;
  /** A delivery is only looked for in Redis once its run_at is this old, so the commit→publish gap is never mistaken for a loss. */
  graceMs: number;
  pageSize: number;
}

/** Sweep twice per lease and allow one lease of grace: what Redis lost is taken up again within about two leases, as a crashed worker's is. */
export function sweepTiming(leaseMs: number): SweeperOptions {
  return { intervalMs: Math.max(100, Math.floor(leaseMs / 2)), graceMs: leaseMs, pageSize: 500 };
}

/**
 * No loss with Redis in the picture: walks the deliveries the log still has open and due, and
 * re-publishes those whose job Redis no longer holds. A Redis lock (SET NX PX) lets one process
 * sweep per interval however many run. A re-published duplicate is harmless: the worker re-checks
 * the delivery's status, and claim drops ids whose delivery is closed.
 */
export class Sweeper {
  private stopped = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;

  constructor(
    private readonly queue: BullMqQueue,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: SweeperOptions,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }

  /** One pass over every channel and priority; returns how many deliveries were re-published. */
  async sweepOnce(): Promise<number> {
    const before = this.clock.now() - this.opts.graceMs;
    let republished = 0;
    for (const channel of CHANNELS) {
      for (const priority of PRIORITIES) {
        let after: OpenDue | undefined;
        // Read from Redis once per queue, and only when the log has old open deliveries in it.
        let held: Set<string> | undefined;
        do {
          const rows = await this.store.sweep.openDue({ channel, priorityRank: PRIORITY_RANK[priority], before, after, limit: this.opts.pageSize });
          if (rows.length === 0) break;
          held ??= await this.queue.heldIds(channel, priority);
          const missing = rows.filter((r) => !held!.has(r.id));
          await this.queue.republish(missing.map((r) => ({ deliveryId: r.id, channel, priority, runAt: r.run_at })));
          republished += missing.length;
          after = rows.length === this.opts.pageSize ? rows[rows.length - 1] : undefined;
        } while (after && !this.stopped);
      }
    }
    if (republished > 0) this.log.warn({ republished }, 'sweeper re-published deliveries Redis did not hold');
    return republished;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        // The lock is left to expire rather than released, so sweeps stay one interval apart across processes.
        if (await this.queue.tryLock('sweeper', this.opts.intervalMs)) await this.sweepOnce();
      } catch (err) {
        // Database or Redis away: nothing is lost by skipping a pass; the next one covers it.
        this.log.error({ err }, 'sweep failed');
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.intervalMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
