import type { Generated } from 'kysely';
import type {
  AppsRow,
  CapCountersRow,
  DeliveriesRow,
  DevicesRow,
  EventsRow,
  FanoutsRow,
  JobLeasesRow,
  NotificationsRow,
  ProvidersRow,
  AlertsRow,
  SchedulesRow,
  TemplatesRow,
  TopicSubscriptionsRow,
  UsersRow,
} from '../ports/store-rows.js';
import type { WebhookAttemptsRow, WebhooksRow } from '../ports/webhook-store.js';

/** Kysely's view of the tables; the row types live in the Store port. */
export interface Database {
  apps: AppsRow;
  users: UsersRow;
  devices: DevicesRow;
  topic_subscriptions: TopicSubscriptionsRow;
  templates: TemplatesRow;
  notifications: NotificationsRow;
  deliveries: DeliveriesRow;
  events: Omit<EventsRow, 'id'> & { id: Generated<number> };
  providers: ProvidersRow;
  alerts: AlertsRow;
  schedules: SchedulesRow;
  fanouts: FanoutsRow;
  cap_counters: CapCountersRow;
  job_leases: JobLeasesRow;
  webhooks: WebhooksRow;
  webhook_attempts: WebhookAttemptsRow;
}
