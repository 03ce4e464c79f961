import { expect, it } from 'vitest';
import { sql } from 'kysely';
import type { OpenDue } from '../../ports/store.js';
import { insertDeliveries } from '../../../test/helpers/deliveries.js';
import { onBothDatabases } from '../../../test/helpers/stores.js';

/** The sweep queries on both databases: the walk is a range over deliveries_claim, so ties and pages must not skip rows. */
await onBothDatabases('sweep queries', (dialect, store) => {
  const T = 1_800_000_000_000;

  it('walks open due deliveries of one channel and priority in pages, ties included', async () => {
    // Many rows share a run_at, so a page boundary falls inside a tie.
    const due = await insertDeliveries(store(), Array.from({ length: 23 }, (_, i) => ({ channel: 'sms' as const, runAt: T + Math.floor(i / 5) })));
    await insertDeliveries(store(), [
      { channel: 'sms', runAt: T + 1000 }, // not due yet
      { channel: 'sms', runAt: T, status: 'sent' }, // closed
      { channel: 'sms', runAt: T, priority: 'high' }, // another priority
      { channel: 'push', runAt: T }, // another channel
    ]);
    const seen: OpenDue[] = [];
    let after: OpenDue | undefined;
    for (;;) {
      const page = await store().sweep.openDue({ channel: 'sms', priorityRank: 1, before: T + 10, after, limit: 4 });
      seen.push(...page);
      if (page.length < 4) break;
      after = page[page.length - 1];
    }
    expect(seen.map((r) => r.id).sort()).toEqual(due.map((d) => d.deliveryId).sort());
    expect(seen.every((r) => typeof r.run_at === 'number')).toBe(true);
  });

  it('tells which ids are still open, and counts dead letters per channel', async () => {
    const [open, sent] = await insertDeliveries(store(), [{ channel: 'email' }, { channel: 'email', status: 'sent' }]);
    await insertDeliveries(store(), [{ channel: 'email', status: 'failed' }, { channel: 'email', status: 'failed' }, { channel: 'push', status: 'failed' }]);
    expect(await store().sweep.openAmong([open.deliveryId, sent.deliveryId, 'no-such-id'])).toEqual([open.deliveryId]);
    expect(await store().sweep.openAmong([])).toEqual([]);
    expect(await store().sweep.deadByChannel()).toEqual({ email: 2, push: 1 });
  });

  // PostgreSQL picks its plan by table statistics, so only SQLite's (fixed by the query's shape) is checked.
  it.runIf(dialect === 'sqlite')('uses the partial index deliveries_claim on SQLite', async () => {
    const plan = await sql<{ detail: string }>`explain query plan select id, run_at from deliveries where status in ('queued', 'scheduled') and channel = 'sms' and priority_rank = 1 and run_at <= 5 and run_at >= 1 and (run_at > 1 or id > 'x') order by run_at, id limit 4`.execute(store().db);
    expect(plan.rows.map((r) => r.detail).join('\n')).toContain('deliveries_claim');
  });
});
