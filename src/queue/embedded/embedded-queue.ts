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

  async publish(items: QueueItem[]): Promise<void> {
    const now = this.clock.now();
    const channels = new Set(items.filter((i) => i.runAt <= now).map((i) => i.channel));
    for (const c of channels) this.signal.wake(c);
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

  waitForWork(channel: Channel, maxWaitMs: number): Promise<void> {
    return this.signal.wait(channel, maxWaitMs);
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  async close(): Promise<void> {
    this.signal.close();
  }
}
