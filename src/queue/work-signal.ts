import type { Channel } from '../domain/delivery.js';

/**
 * This process's idle workers, per channel: `wait` resolves when `wake(channel)` is called (a publish
 * in this process) or after `maxWaitMs` (work published by other processes is found by that poll).
 */
export class WorkSignal {
  private readonly waiters = new Map<Channel, Set<() => void>>();
  private closed = false;

  /** Resolves true when woken (or closing), false when `maxWaitMs` passed without a wake-up. */
  wait(channel: Channel, maxWaitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(true);
      const set = this.waiters.get(channel) ?? new Set();
      this.waiters.set(channel, set);
      const done = (woken: boolean) => {
        clearTimeout(timer);
        set.delete(wake);
        resolve(woken);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), maxWaitMs);
      set.add(wake);
    });
  }

  /**
   * A queue's waitForWork: sleeps until a wake-up, the log's next due time (`nextDue`), or `maxWaitMs`.
   * True when woken or something is due by then; false when the wait ran out with nothing due (no claim
   * needed). A due time already past still waits `floorMs`: another claimer's rows may be committing.
   */
  async untilDue(channel: Channel, maxWaitMs: number, now: () => number, nextDue: (now: number) => Promise<number | undefined>, floorMs: number): Promise<boolean> {
    const start = now();
    const next = await nextDue(start);
    const wait = next === undefined ? maxWaitMs : Math.min(maxWaitMs, Math.max(floorMs, next - start));
    if (await this.wait(channel, wait)) return true;
    // Work that came meanwhile from another process is seen by the next wait's query, which then waits only a moment.
    return next !== undefined && next <= now();
  }

  wake(channel: Channel): void {
    for (const w of [...(this.waiters.get(channel) ?? [])]) w();
  }

  /** Releases every waiter, now and from then on (the queue is closing). */
  close(): void {
    this.closed = true;
    for (const set of this.waiters.values()) for (const w of [...set]) w();
  }
}
