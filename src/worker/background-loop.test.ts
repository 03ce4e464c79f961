import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { BackgroundLoop } from './background-loop.js';

const log = createLogger('silent');

describe('background loop', () => {
  it('runs rounds back to back when a step asks for no sleep, and stop() cuts a long sleep short', async () => {
    let rounds = 0;
    const loop = new BackgroundLoop(log, { errorMessage: 'x', step: async () => (++rounds < 5 ? 0 : 60_000) });
    loop.start();
    while (rounds < 5) await new Promise((r) => setTimeout(r, 5));
    const t = Date.now();
    await loop.stop();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(rounds).toBe(5);
  });

  it('tells a long step the loop is stopping, and backs off after failures with the given delay', async () => {
    const seen: boolean[] = [];
    let failures = 0;
    const delays: number[] = [];
    const loop = new BackgroundLoop(log, {
      errorMessage: 'x',
      afterFailure: (n) => {
        delays.push(n);
        return 1;
      },
      step: async (running) => {
        if (failures < 3) {
          failures++;
          throw new Error('database away');
        }
        while (running()) await new Promise((r) => setTimeout(r, 5));
        seen.push(running());
        return 0;
      },
    });
    loop.start();
    while (failures < 3) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    await loop.stop();
    expect(delays).toEqual([1, 2, 3]);
    expect(seen).toEqual([false]);
  });

  it('wakes from an idle sleep at once, and runs again after a wake that came during a round', async () => {
    let rounds = 0;
    let release: (() => void) | undefined;
    const loop = new BackgroundLoop(log, {
      errorMessage: 'x',
      step: async () => {
        rounds++;
        if (rounds === 2) await new Promise<void>((r) => (release = r)); // a round in progress
        return 60_000;
      },
    });
    loop.start();
    while (rounds < 1) await new Promise((r) => setTimeout(r, 5));
    const t = Date.now();
    loop.wake(); // cuts the first idle sleep
    while (!release) await new Promise((r) => setTimeout(r, 5));
    loop.wake(); // during round 2: round 3 follows without sleeping
    release();
    while (rounds < 3) await new Promise((r) => setTimeout(r, 5));
    expect(Date.now() - t).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(rounds).toBe(3); // and then it sleeps again
    await loop.stop();
  });
});
