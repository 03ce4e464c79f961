/**
 * Failure injection for the push emulators: tests queue up what the next requests should
 * suffer (an error answer, latency, a hang, a GOAWAY) so every error class of an adapter can be
 * driven against real sockets. Each emulator defines its own fault shape on top of this.
 */
export interface FaultBase {
  /** How many matching requests this fault applies to (default 1). */
  count?: number;
  /** Only requests for this target (device token, subscription id) match. */
  target?: string;
}

interface Pending<F> {
  fault: F;
  left: number;
}

export class FaultQueue<F extends FaultBase> {
  private pending: Pending<F>[] = [];

  add(fault: F): void {
    const left = fault.count ?? 1;
    if (!Number.isInteger(left) || left < 1) throw new RangeError('fault count must be a positive integer');
    this.pending.push({ fault, left });
  }

  /** The first queued fault that matches `target`, consumed once; FIFO so tests read in order. */
  take(target: string, accept: (fault: F) => boolean = () => true): F | undefined {
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.fault.target !== undefined && p.fault.target !== target) continue;
      if (!accept(p.fault)) continue;
      p.left -= 1;
      if (p.left === 0) this.pending.splice(i, 1);
      return p.fault;
    }
    return undefined;
  }

  get size(): number {
    return this.pending.reduce((n, p) => n + p.left, 0);
  }

  clear(): void {
    this.pending = [];
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
