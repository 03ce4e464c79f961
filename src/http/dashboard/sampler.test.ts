import { describe, expect, it } from 'vitest';
import type { Queue } from '../../ports/queue.js';
import type { ChannelQueueStats, DeliveriesRow } from '../../ports/store.js';
import { Metrics } from '../../services/metrics.js';
import { lineChart, niceCeil } from './chart.js';
import { LiveSampler } from './sampler.js';

const stats = (depth: number): ChannelQueueStats[] => (['push', 'sms', 'email'] as const).map((channel) => ({ channel, depth, oldest_age_ms: 0, in_flight: 0, scheduled: 0, dead: 0 }));

describe('live sampler', () => {
  it('keeps a bounded ring of queue depth and per-channel throughput from the delivery counter', async () => {
    let depth = 5;
    const queue = { stats: async () => stats(depth) } as unknown as Queue;
    const metrics = new Metrics(queue);
    let t = 1_000_000;
    const sampler = new LiveSampler(queue, metrics, { now: () => t }, { everyMs: 2000, keep: 3, idleMs: 60_000 });
    try {
      const first = await sampler.want();
      expect(first.throughput).toBeNull();
      expect(first.stats[0].depth).toBe(5);

      const row = (channel: string) => ({ channel }) as DeliveriesRow;
      for (let i = 0; i < 10; i++) metrics.onOutcome(row('email'), { status: 'sent', provider: 'smtp' } as never);
      metrics.onOutcome(row('email'), { status: 'queued', provider: 'smtp' } as never); // a retry is not finished
      metrics.onOutcome(row('sms'), { status: 'failed', provider: 'twilio' } as never);
      // A view takes a sample of its own only when the timer's latest is over 1.5 intervals old.
      t += 2000;
      expect(await sampler.want()).toBe(first);
      t += 2000;
      depth = 7;
      const second = await sampler.want();
      expect(second.throughput).toEqual({ push: 0, sms: 0.25, email: 2.5 });
      expect(second.stats[0].depth).toBe(7);

      for (let i = 0; i < 3; i++) {
        t += 4000;
        await sampler.want();
      }
      expect(sampler.samples()).toHaveLength(3);
    } finally {
      sampler.stop();
    }
  });
});

describe('line chart', () => {
  it('rounds its scale and draws one line per series with two points or more, escaped', () => {
    expect([0, 0.3, 1, 3, 7, 11, 250].map(niceCeil)).toEqual([1, 1, 1, 5, 10, 20, 500]);
    const svg = lineChart({
      id: 'c',
      title: 'Depth <&>',
      unit: 'waiting',
      end: 60_000,
      spanMs: 60_000,
      series: [
        { channel: 'push', points: [{ at: 0, value: 1 }, { at: 60_000, value: 3 }] },
        { channel: 'sms', points: [{ at: 60_000, value: 2 }] },
      ],
    }).value;
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('<title id="c-title">Depth &lt;&amp;&gt;</title>');
    expect(svg).toContain('Latest: Push 3, SMS 2');
    expect(svg).toContain('−60 s');
  });
});
