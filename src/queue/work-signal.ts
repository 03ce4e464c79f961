import type { Channel } from '../domain/delivery.js';

/**
 * This process's idle workers, per channel: `wait` resolves when `wake(channel)` is called (a publish
 * in this process) or after `maxWaitMs` (work published by other processes is found by that poll).
 */
export class WorkSignal {
  private readonly waiters = new Map<Channel, Set<() => void>>();
  private closed = false;

  wait(channel: Channel, maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const set = this.waiters.get(channel) ?? new Set();
      this.waiters.set(channel, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      set.add(done);
    });
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
