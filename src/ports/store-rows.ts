/**
 * Rows as stored, shared by SQLite and PostgreSQL. Times are epoch milliseconds (bigint in PostgreSQL,
 * parsed to number), JSON is stored as text and booleans as 0/1, so one set of queries serves both.
 */
export interface AppsRow {
  id: string;
  name: string;
  key: string;
  secret_hash: string;
  settings: string;
  created_at: number;
}

export interface UsersRow {
  app_id: string;
  id: string;
  email: string | null;
  phone: string | null;
  locale: string | null;
  timezone: string | null;
  name: string | null;
  data: string | null;
  preferences: string | null;
  created_at: number;
  updated_at: number;
}

export interface DevicesRow {
  id: string;
  app_id: string;
  user_id: string;
  platform: string;
  /** APNs/FCM token, or the web subscription's endpoint. */
  token: string;
  subscription: string | null;
  active: number;
  deactivated_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface TopicSubscriptionsRow {
  app_id: string;
  topic: string;
  user_id: string;
  created_at: number;
}

export interface TemplatesRow {
  app_id: string;
  key: string;
  version: number;
  category: string | null;
  channels: string;
  locales: string | null;
  deleted: number;
  created_at: number;
}

export interface NotificationsRow {
  id: string;
  app_id: string;
  idempotency_key: string | null;
  request_hash: string | null;
  /** The 202 body, kept so an idempotent replay answers exactly the first result. */
  response: string | null;
  user_id: string | null;
  template: string | null;
  template_version: number | null;
  category: string | null;
  priority: string;
  status: string;
  send_at: number | null;
  expires_at: number | null;
  created_at: number;
}

export interface DeliveriesRow {
  id: string;
  app_id: string;
  notification_id: string;
  user_id: string | null;
  device_id: string | null;
  channel: string;
  platform: string | null;
  provider: string;
  to_addr: string;
  status: string;
  reason: string | null;
  /** Rendered message for this target (JSON); null once sent-and-erased. */
  content: string | null;
  category: string | null;
  priority_rank: number;
  /** When the delivery may next be claimed (first attempt, scheduled time or retry). */
  run_at: number;
  /** Claimed by a worker until then; null when nobody holds it. */
  lease_until: number | null;
  attempts: number;
  provider_message_id: string | null;
  last_error: string | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface EventsRow {
  id: number;
  app_id: string;
  notification_id: string;
  delivery_id: string | null;
  type: string;
  at: number;
  data: string | null;
}

export interface ProvidersRow {
  app_id: string;
  name: string;
  config_enc: string;
  priority: number;
  enabled: number;
  updated_at: number;
}

