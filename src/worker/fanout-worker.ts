import type { Logger } from 'pino';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { FanoutService } from '../services/fanout.js';
import { BackgroundLoop } from './background-loop.js';

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
  private readonly loop: BackgroundLoop;
  private lastPrune = 0;

  constructor(
    private readonly fanouts: FanoutService,
    private readonly capCounters: Store['capCounters'],
    private readonly clock: Clock,
    log: Logger,
    private readonly opts: FanoutWorkerOptions,
  ) {
    // A failed round leaves a claimed fan-out under its lease, which runs out and is taken up again.
    this.loop = new BackgroundLoop(log, { errorMessage: 'fan-out loop error', step: (running) => this.round(running) });
  }

  start(): void {
    this.loop.start();
  }

  /** Work was made in this process: look for it now rather than after the idle poll. */
  wake(): void {
    this.loop.wake();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs one claimed fan-out to its end (or until stopping); sleeps when there is none. */
  private async round(running: () => boolean): Promise<number> {
    await this.prune();
    const lease = await this.fanouts.claim();
    if (!lease) return this.opts.idlePollMs;
    await this.fanouts.runToEnd(lease, () => !running());
    return 0;
  }

  private async prune(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPrune < this.opts.pruneEveryMs) return;
    this.lastPrune = now;
    await this.capCounters.prune(now);
  }
}
