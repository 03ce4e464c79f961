import type { Logger } from 'pino';

export interface BackgroundLoopOptions {
  /** Logged with a step's error, e.g. 'fan-out loop error'. */
  errorMessage: string;
  /**
   * One round of work; resolves to how long to sleep before the next round (0: at once). `running()`
   * turns false when the loop is stopping, for steps that work through long jobs.
   */
  step: (running: () => boolean) => Promise<number>;
  /** Sleep after the nth consecutive failed round (default: 200 ms doubling, at most 5 s). */
  afterFailure?: (failures: number) => number;
}

/**
 * The start/stop/sleep/wake scaffolding the background jobs share (fan-outs, webhooks, retention):
 * one async loop per job, a sleep that `stop()` cuts short, and a failed round logged and retried
 * after a backoff. A database that is away is the usual failure, and what a job had claimed is under a
 * lease, so backing off loses nothing.
 */
export class BackgroundLoop {
  private running = false;
  private loop?: Promise<void>;
  private cutSleep?: () => void;
  /** A wake() came while a round ran: the next sleep is skipped. */
  private woken = false;

  constructor(
    private readonly log: Logger,
    private readonly opts: BackgroundLoopOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the round in progress (which sees `running()` turn false); resolves when it has. */
  async stop(): Promise<void> {
    this.running = false;
    this.cutSleep?.();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    let failures = 0;
    const running = () => this.running;
    while (this.running) {
      let sleepMs: number;
      try {
        sleepMs = await this.opts.step(running);
        failures = 0;
      } catch (err) {
        failures++;
        this.log.error({ err }, this.opts.errorMessage);
        sleepMs = this.opts.afterFailure?.(failures) ?? Math.min(5000, 100 * 2 ** failures);
      }
      if (sleepMs > 0 && this.running) await this.sleep(sleepMs);
    }
  }

  /**
   * Work for this loop was made in this process (a topic send, events for webhooks): the sleep in
   * progress ends now, or the next one is skipped. Idle sleeps can then be long (seconds) without
   * making the work wait: they only catch what other processes made.
   */
  wake(): void {
    this.woken = true;
    this.cutSleep?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.cutSleep = undefined;
        self.woken = false;
        resolve();
      }
      this.cutSleep = done;
    });
  }
}
