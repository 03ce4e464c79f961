import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens on a high recent failure rate, probes after the cool-down and closes on success', () => {
    let t = 0;
    const b = new CircuitBreaker({ window: 10, minSamples: 4, threshold: 0.5, openMs: 1000 }, () => t);
    b.record(true);
    b.record(false);
    b.record(false);
    expect(b.state()).toBe('closed'); // too few samples
    b.record(false);
    expect(b.state()).toBe('open');
    expect(b.allow()).toBe(false);
    t = 1000;
    expect(b.state()).toBe('half_open');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false); // one probe at a time
    b.record(false);
    expect(b.state()).toBe('open');
    t = 2000;
    expect(b.allow()).toBe(true);
    b.record(true);
    expect(b.state()).toBe('closed');
    expect(b.failureRate()).toBe(0);
  });
});
