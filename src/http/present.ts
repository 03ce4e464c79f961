import type { DeliveryWithEvents, NotificationsRow, UsersRow, DevicesRow, DeliveriesRow } from '../ports/store.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const json = (s: string | null) => (s ? JSON.parse(s) : null);

export function presentUser(u: UsersRow) {
  return {
    id: u.id,
    email: u.email,
    phone: u.phone,
    locale: u.locale,
    timezone: u.timezone,
    name: u.name,
    data: json(u.data) ?? {},
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
  };
}

export function presentDevice(d: DevicesRow) {
  return {
    id: d.id,
    user_id: d.user_id,
    platform: d.platform,
    ...(d.platform === 'web' ? { subscription: json(d.subscription) } : { token: d.token }),
    active: d.active === 1,
    deactivated_reason: d.deactivated_reason,
    created_at: iso(d.created_at),
    updated_at: iso(d.updated_at),
  };
}

export function presentDelivery(d: DeliveriesRow) {
  return {
    id: d.id,
    notification_id: d.notification_id,
    user_id: d.user_id,
    channel: d.channel,
    ...(d.platform ? { platform: d.platform } : {}),
    provider: d.provider || null,
    to: d.to_addr,
    status: d.status,
    ...(d.reason ? { reason: d.reason } : {}),
    attempts: d.attempts,
    provider_message_id: d.provider_message_id,
    last_error: d.last_error,
    open_count: d.open_count ?? 0,
    click_count: d.click_count ?? 0,
    next_attempt_at: d.status === 'queued' || d.status === 'scheduled' ? iso(d.run_at) : null,
    created_at: iso(d.created_at),
    updated_at: iso(d.updated_at),
  };
}

/**
 * A notification's status is derived from its deliveries: `scheduled` while every open delivery
 * waits for its time, `accepted` while any is queued or in flight, `completed` when none is open.
 */
export function notificationStatus(n: NotificationsRow, deliveries: { status: string }[]): string {
  const open = deliveries.filter((d) => d.status === 'queued' || d.status === 'scheduled');
  if (open.length === 0) return deliveries.length && deliveries.every((d) => d.status === 'cancelled') ? 'cancelled' : 'completed';
  return open.every((d) => d.status === 'scheduled') ? 'scheduled' : 'accepted';
}

export function presentNotification(n: NotificationsRow, deliveries?: DeliveryWithEvents[]) {
  return {
    id: n.id,
    event_id: n.idempotency_key,
    ...(deliveries ? { status: notificationStatus(n, deliveries) } : { status: n.status }),
    user_id: n.user_id,
    template: n.template,
    template_version: n.template_version,
    category: n.category,
    priority: n.priority,
    send_at: iso(n.send_at),
    expires_at: iso(n.expires_at),
    created_at: iso(n.created_at),
    ...(deliveries
      ? {
          deliveries: deliveries.map((d) => ({
            ...presentDelivery(d),
            events: d.events.map((e) => ({ type: e.type, at: iso(e.at), data: json(e.data) })),
          })),
        }
      : {}),
  };
}
