import type { Logger } from 'pino';
import type { Channel } from '../domain/delivery.js';
import type { Clock } from '../ports/clock.js';
import type { Queue } from '../ports/queue.js';
import type { DeliveriesRow } from '../ports/store.js';
import type { DeliverService } from '../services/deliver.js';
import type { OutcomeRecorder } from '../services/outcome-recorder.js';

export interface WorkerOptions {
  channels: Channel[];
  /** Provider requests a channel keeps in flight at most; slots are refilled as answers come. */
  maxInFlight: number;
  /** Most ids one claim takes. */
  claimBatch: number;
  /** Longest sleep when idle; other processes' work is found by polling at this interval. */
  idlePollMs: number;
  /** The queue's lease: what is still in flight has its lease extended every third of it. */
  leaseMs: number;
}

/**
 * Claims due deliveries per channel and keeps up to `maxInFlight` of them at their providers, each
 * recorded as soon as it answers (OutcomeRecorder): a stream, not batches behind a barrier, so a slow
 * or hung request holds only its own slot and its own record.
 */
export class Worker {
  private running = false;
  private streams: ChannelStream[] = [];

  constructor(
    private readonly queue: Queue,
    private readonly deliver: DeliverService,
    private readonly recorder: OutcomeRecorder,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    // Each channel has its own stream, so a slow SMS provider never holds up email or push.
    this.streams = this.opts.channels.map((c) => new ChannelStream(c, this.queue, this.deliver, this.recorder, this.clock, this.log, this.opts));
    for (const s of this.streams) s.start();
  }

  /** Stops claiming, lets what is in flight answer, and commits its outcomes. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.streams.map((s) => s.stop()));
    this.streams = [];
    await this.recorder.drain();
  }

  /** Deliveries at their providers now, per channel (for tests and stats). */
  inFlight(): Record<string, number> {
    return Object.fromEntries(this.streams.map((s) => [s.channel, s.size]));
  }
}

class ChannelStream {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Delivery id → when its lease was last taken or extended. */
  private readonly held = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private slotFree: (() => void) | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  /** Resolves when stop() is called: an idle wait (seconds long) ends at once. */
  private stopped!: Promise<boolean>;
  private onStop: () => void = () => {};

  constructor(
    readonly channel: Channel,
    private readonly queue: Queue,
    private readonly deliver: DeliverService,
    private readonly recorder: OutcomeRecorder,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {}

  get size(): number {
    return this.held.size;
  }

  start(): void {
    this.running = true;
    this.stopped = new Promise<boolean>((r) => (this.onStop = () => r(true)));
    this.loop = this.run();
    // Lease times are the injected clock's; the check runs at least every second of real time.
    const third = Math.floor(this.opts.leaseMs / 3);
    this.leaseTimer = setInterval(() => void this.extendLeases(third), Math.max(50, Math.min(third, 1000)));
    this.leaseTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.onStop();
    this.slotFree?.();
    await this.loop;
    await Promise.all(this.sends);
    clearInterval(this.leaseTimer);
  }

  private async run(): Promise<void> {
    let failures = 0;
    // Claim when a quarter of the slots are free (or all are): fewer, larger claims under load.
    const refill = Math.max(1, Math.floor(this.opts.maxInFlight / 4));
    while (this.running) {
      try {
        const free = this.opts.maxInFlight - this.held.size;
        if (free < refill && this.held.size > 0) {
          await new Promise<void>((r) => (this.slotFree = r));
          continue;
        }
        const ids = await this.queue.claim(this.channel, Math.min(free, this.opts.claimBatch));
        if (ids.length === 0) {
          // Sleep until something may be due; a wait that ends with nothing due is not worth a claim.
          while (this.running && !(await Promise.race([this.queue.waitForWork(this.channel, this.opts.idlePollMs), this.stopped])));
          continue;
        }
        const now = this.clock.now();
        for (const id of ids) this.held.set(id, now);
        let rows: DeliveriesRow[];
        try {
          rows = await this.deliver.load(this.channel, ids);
        } finally {
          // Ids not loaded were closed already (and acked by load), or the load failed: they stay leased.
          for (const id of ids) this.held.delete(id);
        }
        for (const d of rows) this.send(d, now);
        failures = 0;
      } catch (err) {
        // The database or queue is unreachable: what was claimed stays leased and is taken up again
        // after the lease, so backing off here loses nothing.
        failures++;
        this.log.error({ err, channel: this.channel }, 'worker loop error');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures)));
      }
    }
  }

  private send(d: DeliveriesRow, claimedAt: number): void {
    this.held.set(d.id, claimedAt);
    const p = this.deliver
      .deliver(d)
      .then((o) => this.recorder.record(d, o))
      .catch((err) => this.log.error({ err, delivery_id: d.id, notification_id: d.notification_id }, 'delivery failed before its outcome'))
      .finally(() => {
        this.held.delete(d.id);
        this.sends.delete(p);
        this.slotFree?.();
        this.slotFree = undefined;
      });
    this.sends.add(p);
  }

  /**
   * A live worker's deliveries are never taken up by another: what has been held for a third of a
   * lease (a slow provider, an outcome waiting for its commit) gets a fresh lease.
   */
  private async extendLeases(olderThanMs: number): Promise<void> {
    const now = this.clock.now();
    const ids = [...this.held].filter(([, at]) => at <= now - olderThanMs).map(([id]) => id);
    if (!ids.length) return;
    try {
      await this.queue.extend(this.channel, ids);
      for (const id of ids) if (this.held.has(id)) this.held.set(id, now);
    } catch (err) {
      this.log.warn({ err, channel: this.channel, count: ids.length }, 'extending leases failed');
    }
  }
}
