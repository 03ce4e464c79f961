import type { Logger } from 'pino';
import type { WebhookDispatcher, WebhookLease } from '../services/webhook-dispatcher.js';
import { BackgroundLoop } from './background-loop.js';

export interface WebhookWorkerOptions {
  /** How often to look for webhooks with new events (events are written by any process, so this polls). */
  idlePollMs: number;
  /** Webhooks sent to at once by this process; each runs on its own, so a slow one holds up only its own slot. */
  concurrency: number;
}

/**
 * The worker side of outbound webhooks: a loop apart from the delivery workers, so a slow or dead
 * receiver never slows sending. Each claimed webhook runs as its own task; the loop goes on claiming
 * others meanwhile.
 */
export class WebhookWorker {
  private readonly loop: BackgroundLoop;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly dispatcher: WebhookDispatcher,
    private readonly log: Logger,
    private readonly opts: WebhookWorkerOptions,
  ) {
    // A failed round (database away) leaves claimed webhooks under their leases, which run out and are taken up again.
    this.loop = new BackgroundLoop(log, { errorMessage: 'webhook loop error', step: () => this.round() });
  }

  start(): void {
    this.loop.start();
  }

  /** Work was made in this process: look for it now rather than after the idle poll. */
  wake(): void {
    this.loop.wake();
  }

  /** Aborts the POSTs in flight (their batches go again later) and hands the leases back. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop.stop();
    await Promise.all(this.inFlight);
  }

  /** Claims webhooks for the free slots, each then runs as its own task; the loop polls on meanwhile. */
  private async round(): Promise<number> {
    const free = this.opts.concurrency - this.inFlight.size;
    if (free > 0) for (const lease of await this.dispatcher.claim(free)) this.spawn(lease);
    return this.opts.idlePollMs;
  }

  private spawn(lease: WebhookLease): void {
    const task: Promise<void> = this.dispatcher
      .run(lease, this.stopping.signal)
      .catch((err: unknown) => this.log.error({ err, webhook: lease.row.id, app_id: lease.row.app_id }, 'webhook dispatch error'))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }
}
