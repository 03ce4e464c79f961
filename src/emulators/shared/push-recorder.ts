import { EventEmitter } from 'node:events';

/**
 * What an emulator accepted, for tests and the sandbox dashboard. Bounded, because the sandbox
 * runs for days and the bench pushes thousands of messages through it.
 */
export class PushRecorder<M> {
  readonly received: M[] = [];
  private readonly events = new EventEmitter();

  constructor(private readonly max = 10_000) {
    // The sandbox may attach a listener per dashboard client.
    this.events.setMaxListeners(0);
  }

  record(message: M): void {
    this.received.push(message);
    // Trim in batches: shifting the whole array on every message is quadratic under load.
    if (this.received.length >= this.max + Math.max(1, this.max >> 3)) this.received.splice(0, this.received.length - this.max);
    this.events.emit('message', message);
  }

  on(event: 'message', listener: (message: M) => void): void {
    this.events.on(event, listener);
  }

  off(event: 'message', listener: (message: M) => void): void {
    this.events.off(event, listener);
  }

  clear(): void {
    this.received.length = 0;
  }
}
