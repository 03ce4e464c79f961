import type { Logger } from 'pino';
import type { WebhookDispatcher, WebhookLease } from '../services/webhook-dispatcher.js';

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
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly dispatcher: WebhookDispatcher,
    private readonly log: Logger,
    private readonly opts: WebhookWorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Aborts the POSTs in flight (their batches go again later) and hands the leases back. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const free = this.opts.concurrency - this.inFlight.size;
        if (free > 0) for (const lease of await this.dispatcher.claim(free)) this.spawn(lease);
        failures = 0;
        await this.sleep(this.opts.idlePollMs);
      } catch (err) {
        // Database unreachable: claimed webhooks keep their leases, which run out and are taken up again.
        failures++;
        this.log.error({ err }, 'webhook loop error');
        await this.sleep(Math.min(5000, 100 * 2 ** failures));
      }
    }
  }

  private spawn(lease: WebhookLease): void {
    const task: Promise<void> = this.dispatcher
      .run(lease, this.stopping.signal)
      .catch((err: unknown) => this.log.error({ err, webhook: lease.row.id, app_id: lease.row.app_id }, 'webhook dispatch error'))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
