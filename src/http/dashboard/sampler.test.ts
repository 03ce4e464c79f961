import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStore } from '../../store/create-store.js';
import { EmbeddedQueue } from '../../queue/embedded/embedded-queue.js';
import { insertDeliveries } from '../../../test/helpers/deliveries.js';
import { lineChart, niceCeil } from './chart.js';
import { LiveSampler } from './sampler.js';

describe('live sampler', () => {
  it("keeps a bounded ring of each app's own queue figures and its finished deliveries per second, counted in the log", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-sampler-'));
    const store = createStore(`sqlite:${path.join(dir, 'herald.db')}`);
    await store.migrate();
    let t = Date.now();
    const clock = { now: () => t };
    const queue = new EmbeddedQueue(store, clock, 30_000);
    const sampler = new LiveSampler(queue, store.analytics, clock, { everyMs: 2000, keep: 3, idleMs: 60_000, lagMs: 1000 });
    /** Outcome events stamped `at`, as a worker records them. */
    const finish = async (channel: 'push' | 'sms' | 'email', n: number, status: 'sent' | 'failed' | 'queued', at: number) => {
      const items = await insertDeliveries(store, Array.from({ length: n }, () => ({ channel })));
      await store.deliveries.recordOutcomes(
        items.map((i) => ({
          id: i.deliveryId,
          status,
          provider: 'sendgrid',
          attempts: 1,
          events: [{ app_id: 'app-queue-test', notification_id: 'n-sampler-test', delivery_id: i.deliveryId, type: status === 'queued' ? 'retrying' : status, at, data: null }],
        })),
        at,
      );
    };
    try {
      // Due before the test clock's now (insertDeliveries would stamp the real now, which may be a millisecond later).
      await insertDeliveries(store, [{ channel: 'email', runAt: t - 1 }, { channel: 'email', runAt: t - 1 }]);
      const first = await sampler.want('app-queue-test');
      expect(first.stats.find((s) => s.channel === 'email')?.depth).toBe(2);
      expect(sampler.throughput('app-queue-test')).toEqual([]); // the first window starts now

      const windowStart = t - 1000;
      t += 4000; // the window is (start, t − lag]: 4 s long
      await finish('email', 12, 'sent', windowStart + 1500);
      await finish('sms', 3, 'failed', windowStart + 2000);
      await finish('email', 5, 'queued', windowStart + 2000); // a retry has not finished
      await finish('push', 7, 'sent', t - 500); // inside the lag: counted in the next window
      await finish('push', 4, 'sent', windowStart - 1); // before the window
      const second = await sampler.want('app-queue-test');
      expect(second.at).toBe(t);
      expect(sampler.throughput('app-queue-test')).toEqual([{ at: t - 1000, perSecond: { push: 0, sms: 0.75, email: 3 } }]);
      expect(sampler.throughput('another-app')).toEqual([]);

      t += 3500; // a view samples anew when the latest sample is over 1.5 intervals old
      await sampler.want('app-queue-test');
      expect(sampler.throughput('app-queue-test')[1]).toEqual({ at: t - 1000, perSecond: { push: 2, sms: 0, email: 0 } });

      for (let i = 0; i < 3; i++) {
        t += 4000;
        await sampler.want('app-queue-test');
      }
      expect(sampler.samples('app-queue-test')).toHaveLength(3);
      // Each app sees its own queue only: another app's view has none of these deliveries.
      const other = await sampler.want('another-app');
      expect(other.stats.every((s) => s.depth === 0 && s.dead === 0 && s.scheduled === 0)).toBe(true);
      expect(sampler.samples('another-app')).toHaveLength(1);
      expect(sampler.throughput('app-queue-test')).toHaveLength(3);
    } finally {
      sampler.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
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
