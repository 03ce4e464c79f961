import { newId } from '../../src/domain/ids.js';
import { PRIORITY_RANK, type Channel, type Priority } from '../../src/domain/delivery.js';
import type { QueueItem } from '../../src/ports/queue.js';
import type { DeliveriesRow, Store } from '../../src/ports/store.js';

export interface DeliverySpec {
  channel?: Channel;
  priority?: Priority;
  runAt?: number;
  status?: string;
  /** The app the delivery belongs to (default app-queue-test). */
  appId?: string;
}

/** Writes one notification per spec with one delivery each, straight into the log; returns them as queue items. */
export async function insertDeliveries(store: Store, specs: DeliverySpec[]): Promise<QueueItem[]> {
  const now = Date.now();
  const items = specs.map((s) => ({
    deliveryId: newId(),
    channel: s.channel ?? 'email',
    priority: s.priority ?? 'normal',
    runAt: s.runAt ?? now,
    status: s.status ?? 'queued',
    appId: s.appId ?? 'app-queue-test',
  }));
  await store.notifications.insert(
    items.map((i) => {
      const notificationId = newId();
      const delivery: DeliveriesRow = {
        id: i.deliveryId,
        app_id: i.appId,
        notification_id: notificationId,
        user_id: 'u1',
        device_id: null,
        channel: i.channel,
        platform: null,
        provider: 'sendgrid',
        to_addr: 'u1@example.com',
        status: i.status,
        reason: null,
        content: '{}',
        category: null,
        priority_rank: PRIORITY_RANK[i.priority],
        run_at: i.runAt,
        lease_until: null,
        attempts: 0,
        provider_message_id: null,
        last_error: null,
        expires_at: null,
        created_at: now,
        updated_at: now,
      };
      return {
        notification: {
          id: notificationId,
          app_id: i.appId,
          idempotency_key: null,
          request_hash: null,
          response: null,
          user_id: 'u1',
          template: null,
          template_version: null,
          category: null,
          priority: i.priority,
          status: 'accepted',
          send_at: null,
          expires_at: null,
          created_at: now,
        },
        deliveries: [delivery],
        events: [],
      };
    }),
  );
  return items.map(({ status: _status, ...item }) => item);
}
