/**
 * Per-provider breaker on the recent failure rate: over the last `window` outcomes, when at least
 * `minSamples` were seen and `threshold` of them failed, the circuit opens for `openMs`; then one
 * probe at a time is let through (half-open) and a success closes it again.
 */
export interface BreakerOptions {
  window: number;
  minSamples: number;
  threshold: number;
  openMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  private outcomes: boolean[] = [];
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private readonly opts: BreakerOptions,
    private readonly now: () => number,
  ) {}

  state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.opts.openMs ? 'half_open' : 'open';
  }

  /** Whether a request may go to this provider now. */
  allow(): boolean {
    const s = this.state();
    if (s === 'closed') return true;
    if (s === 'open') return false;
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  record(ok: boolean): void {
    if (this.openedAt !== null) {
      this.probing = false;
      if (ok) {
        this.openedAt = null;
        this.outcomes = [];
      } else this.openedAt = this.now();
      return;
    }
    this.outcomes.push(ok);
    if (this.outcomes.length > this.opts.window) this.outcomes.shift();
    const failures = this.outcomes.filter((o) => !o).length;
    if (this.outcomes.length >= this.opts.minSamples && failures / this.outcomes.length >= this.opts.threshold) this.openedAt = this.now();
  }

  failureRate(): number {
    return this.outcomes.length ? this.outcomes.filter((o) => !o).length / this.outcomes.length : 0;
  }
}
