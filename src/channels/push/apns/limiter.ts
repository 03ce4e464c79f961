/**
 * Bounds in-flight requests. APNs itself caps streams per connection, but without a bound of our
 * own a burst from the worker would pile up unbounded memory inside nghttp2's pending queue.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxConcurrent must be a positive integer');
  }

  get inFlight(): number {
    return this.active;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.max) {
      this.active++;
      return fn().finally(this.release);
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(fn).finally(this.release);
  }

  private readonly release = (): void => {
    const next = this.waiting.shift();
    // Hand the slot straight to the next waiter so `active` never dips and lets a newcomer jump the queue.
    if (next) next();
    else this.active--;
  };
}
