import type { DeliveryWithEvents, FanoutsRow, NotificationsRow } from '../ports/store.js';
import { presentNotification } from './present.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A topic send's notification: the fan-out's progress and per-status counts, and only its first
 * deliveries (a topic may have millions of subscribers). Its status is derived from the counts the
 * way other notifications derive it from their deliveries; `accepted` (or `scheduled`) while the
 * fan-out still runs.
 */
export function presentFanoutNotification(n: NotificationsRow, deliveries: DeliveryWithEvents[], f: FanoutsRow, byStatus: Record<string, number>) {
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    ...presentNotification(n, deliveries),
    status: fanoutNotificationStatus(n, f, byStatus, total),
    fanout: {
      topic: f.topic,
      status: f.status,
      pages: f.pages,
      users: f.users,
      deliveries: f.deliveries,
      suppressed: f.suppressed,
      skipped: f.skipped,
      by_status: byStatus,
      started_at: iso(f.created_at),
      finished_at: iso(f.finished_at),
    },
    deliveries_truncated: total > deliveries.length,
  };
}

function fanoutNotificationStatus(n: NotificationsRow, f: FanoutsRow, c: Record<string, number>, total: number): string {
  const queued = c.queued ?? 0;
  const scheduled = c.scheduled ?? 0;
  if (f.status === 'running') return n.status === 'scheduled' && queued === 0 ? 'scheduled' : 'accepted';
  if (queued + scheduled === 0) return total > 0 && (c.cancelled ?? 0) === total ? 'cancelled' : 'completed';
  return queued === 0 ? 'scheduled' : 'accepted';
}
