import type { Logger } from 'pino';
import type { Channel } from '../domain/delivery.js';
import type { Queue } from '../ports/queue.js';
import type { DeliverService } from '../services/deliver.js';

export interface WorkerOptions {
  channels: Channel[];
  /** Concurrent claim→send→record loops per channel: one sends while another records. */
  loopsPerChannel: number;
  batchSize: number;
  /** Longest sleep when idle; other processes' work is found by polling at this interval. */
  idlePollMs: number;
}

/** Claims due deliveries per channel and hands them to the DeliverService, until stopped. */
export class Worker {
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly queue: Queue,
    private readonly deliver: DeliverService,
    private readonly log: Logger,
    private readonly opts: WorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    // Each channel has its own loops, so a slow SMS provider never holds up email or push.
    for (const channel of this.opts.channels) {
      for (let i = 0; i < this.opts.loopsPerChannel; i++) this.loops.push(this.loop(channel));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(channel: Channel): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const ids = await this.queue.claim(channel, this.opts.batchSize);
        if (ids.length === 0) {
          await this.queue.waitForWork(channel, this.opts.idlePollMs);
          continue;
        }
        await this.deliver.deliverBatch(channel, ids);
        failures = 0;
      } catch (err) {
        // The database or queue is unreachable: what was claimed stays leased and is taken up again
        // after the lease, so backing off here loses nothing.
        failures++;
        this.log.error({ err, channel }, 'worker loop error');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures)));
      }
    }
  }
}
