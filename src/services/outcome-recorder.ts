import type { Logger } from 'pino';
import { PRIORITIES, type Channel, type Priority } from '../domain/delivery.js';
import type { Clock } from '../ports/clock.js';
import type { Queue, QueueItem } from '../ports/queue.js';
import type { DeliveriesRow, DeliveryOutcome, Store } from '../ports/store.js';

export interface RecorderOptions {
  /** Longest an answered delivery waits for its commit. */
  maxDelayMs: number;
  /** Most outcomes one transaction takes. */
  maxRows: number;
}

interface Pending {
  d: DeliveriesRow;
  o: DeliveryOutcome;
  done: () => void;
}

/**
 * Group commit for delivery outcomes: each outcome is recorded as soon as its provider answers, in one
 * transaction with whatever else answered in the last few milliseconds (at most `maxDelayMs`, at most
 * `maxRows`). So at any instant only the requests in flight and ~10 ms of answers are unrecorded — what
 * a `kill -9` can make Herald send twice — and a slow request holds back nobody's record but its own.
 *
 * One flush runs at a time; answers that arrive meanwhile form the next one. A flush that fails (the
 * database is away) is tried again with backoff rather than dropped: a dropped outcome would make its
 * delivery go out again after its lease.
 */
export class OutcomeRecorder {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly queue: Queue,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RecorderOptions,
    private readonly onRecorded: (d: DeliveriesRow, o: DeliveryOutcome) => void = () => {},
  ) {}

  /** Resolves once the outcome is committed (and its delivery acked or re-published). */
  record(d: DeliveriesRow, o: DeliveryOutcome): Promise<void> {
    return new Promise<void>((done) => {
      this.pending.push({ d, o, done });
      if (this.pending.length >= this.opts.maxRows) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.opts.maxDelayMs);
    });
  }

  /** Commits what is pending now and waits for every flush in progress. */
  async drain(): Promise<void> {
    while (this.pending.length || this.flushing) {
      this.kick();
      await this.flushing;
    }
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || !this.pending.length) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      // Answers that came during the flush: the next group, without waiting for another timer.
      if (this.pending.length) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    const batch = this.pending.splice(0, this.opts.maxRows);
    for (let failures = 0; ; failures++) {
      try {
        await this.commit(batch);
        break;
      } catch (err) {
        this.log.error({ err, outcomes: batch.length }, 'recording delivery outcomes failed; trying again');
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** failures)));
      }
    }
    for (const p of batch) {
      this.onRecorded(p.d, p.o);
      p.done();
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    await this.store.deliveries.recordOutcomes(
      batch.map((p) => p.o),
      this.clock.now(),
    );
    const retries: QueueItem[] = [];
    const done = new Map<Channel, string[]>();
    for (const { d, o } of batch) {
      const channel = d.channel as Channel;
      if (o.status === 'queued') retries.push({ deliveryId: d.id, channel, priority: PRIORITIES[d.priority_rank] as Priority, runAt: o.runAt! });
      else {
        const ids = done.get(channel);
        if (ids) ids.push(d.id);
        else done.set(channel, [d.id]);
      }
    }
    // After the commit: the queue may lose these calls (Redis away) and the log still says what happened.
    for (const [channel, ids] of done) await this.queue.ack(channel, ids);
    if (retries.length) await this.queue.publish(retries);
  }
}
