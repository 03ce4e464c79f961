import type { Queue, QueueItem } from '../../ports/queue.js';
import type { Store } from '../../ports/store.js';
import type { Clock } from '../../ports/clock.js';
import type { Channel } from '../../domain/delivery.js';
import { WorkSignal } from '../work-signal.js';

/**
 * The default queue: the deliveries rows in the same database are the queue (see
 * store/queries/queue-table.ts). publish() only wakes this process's workers early; other
 * processes find the work by polling, so nothing depends on the wake-up arriving.
 */
export class EmbeddedQueue implements Queue {
  private readonly signal = new WorkSignal();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {}

  /**
   * Wakes this process's idle workers of these channels, for due items and later ones alike: a worker
   * asleep until the next due time it knew of must see an earlier one (a retry in 20 ms, a send_at).
   */
  async publish(items: QueueItem[]): Promise<void> {
    for (const c of new Set(items.map((i) => i.channel))) this.signal.wake(c);
  }

  claim(channel: Channel, limit: number): Promise<string[]> {
    return this.store.queueTable.claim(channel, limit, this.clock.now(), this.leaseMs);
  }

  // The outcome the worker wrote already closed the delivery and cleared its lease.
  async ack(): Promise<void> {}

  extend(_channel: Channel, deliveryIds: string[]): Promise<void> {
    return this.store.queueTable.extend(deliveryIds, this.clock.now() + this.leaseMs);
  }

  stats(appId?: string) {
    return this.store.queueTable.stats(this.clock.now(), appId);
  }

  /**
   * Sleeps until this process publishes for the channel, the next scheduled delivery or retry is due,
   * or `maxWaitMs` (the safety net for work another process published, and for leases of a dead
   * process running out): an idle worker costs one indexed query per `maxWaitMs`, not a claim per poll.
   */
  waitForWork(channel: Channel, maxWaitMs: number): Promise<boolean> {
    return this.signal.untilDue(channel, maxWaitMs, () => this.clock.now(), (now) => this.store.queueTable.nextRunAt(channel, now), 10);
  }


  ping(): Promise<void> {
    return this.store.ping();
  }

  async close(): Promise<void> {
    this.signal.close();
  }
}
