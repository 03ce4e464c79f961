import type { Logger } from 'pino';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { FanoutService } from '../services/fanout.js';

export interface FanoutWorkerOptions {
  /** How often an idle worker looks for a fan-out (another process's topic sends are found by polling). */
  idlePollMs: number;
  /** How often spent frequency-cap counters are dropped. */
  pruneEveryMs: number;
}

/**
 * The worker side of topic sends: claims running fan-outs and streams them to the end, one page at a
 * time (services/fanout.ts). It also drops frequency-cap counters whose window has ended, the one other
 * periodic chore of consent, so the cap table stays the size of the current windows.
 */
export class FanoutWorker {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private lastPrune = 0;

  constructor(
    private readonly fanouts: FanoutService,
    private readonly capCounters: Store['capCounters'],
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: FanoutWorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        await this.prune();
        const lease = await this.fanouts.claim();
        if (!lease) {
          await this.sleep(this.opts.idlePollMs);
          continue;
        }
        await this.fanouts.runToEnd(lease, () => !this.running);
        failures = 0;
      } catch (err) {
        // Database unreachable or a bug: a claimed fan-out keeps its lease, runs out, and is taken up again.
        failures++;
        this.log.error({ err }, 'fan-out loop error');
        await this.sleep(Math.min(5000, 100 * 2 ** failures));
      }
    }
  }

  private async prune(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPrune < this.opts.pruneEveryMs) return;
    this.lastPrune = now;
    await this.capCounters.prune(now);
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
