/**
 * Rows as stored, shared by SQLite and PostgreSQL. Times are epoch milliseconds (bigint in PostgreSQL,
 * parsed to number), JSON is stored as text and booleans as 0/1, so one set of queries serves both.
 */
export interface AppsRow {
  id: string;
  name: string;
  key: string;
  secret_hash: string;
  /** Counts the app's secrets: one more each time the secret changes (user tokens name the one they were issued under). */
  secret_generation: number;
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
  /**
   * Random, given to the row when its first user token is issued (users.incarnation) and never changed:
   * a user erased and created again under the same id is another incarnation, so its old tokens are dead.
   * Writes leave it out; only users.incarnation sets it.
   */
  incarnation?: string | null;
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
  /** Email opens and clicks seen (migration 002); the database starts them at 0, so a new row may leave them out. */
  open_count?: number;
  click_count?: number;
  /** W3C traceparent of the accept span when tracing (OTEL_EXPORTER_OTLP_ENDPOINT); null otherwise. */
  trace_parent?: string | null;
  /** 1 when the current claim took the delivery up after another worker's lease ran out (migration 011). */
  relet?: number;
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

export interface SchedulesRow {
  id: string;
  app_id: string;
  name: string | null;
  cron: string;
  /** IANA zone the cron expression is read in. */
  timezone: string;
  /** The send request (JSON) each firing makes. */
  notification: string;
  status: string;
  next_run_at: number | null;
  lease_until: number | null;
  last_run_at: number | null;
  runs: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** A topic send's durable fan-out: subscribers are read in pages after `cursor` (the last user id done). */
export interface FanoutsRow {
  /** The notification's id. */
  id: string;
  app_id: string;
  topic: string;
  /** What each page needs to plan its deliveries (JSON, see services/fanout-job.ts). */
  request: string;
  cursor: string | null;
  /** `running`, `done` or `cancelled`. */
  status: string;
  /** Who holds the fan-out (one token per claim) and until when; another process takes it up after. */
  lease_owner: string | null;
  lease_until: number | null;
  pages: number;
  users: number;
  deliveries: number;
  suppressed: number;
  /** Subscribers whose content could not be made (e.g. a variable only some users have). */
  skipped: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** A named lease (migration 006): who runs a periodic job (e.g. the retention pass) until when. */
export interface JobLeasesRow {
  name: string;
  owner: string;
  lease_until: number;
}

/** One frequency-cap window's count for one app, user and channel. */
export interface CapCountersRow {
  app_id: string;
  user_id: string;
  channel: string;
  window_start: number;
  window_end: number;
  /** Notifications let through in this window. */
  used: number;
  /** The last claim's limit, request and grant; read back by the same statement that wrote them. */
  cap: number;
  requested: number;
  granted: number;
}

export interface AlertsRow {
  app_id: string;
  /** e.g. `queue_depth:sms`, `provider_failure_rate:twilio`, `dead_letters_per_hour`. */
  key: string;
  state: string;
  value: number | null;
  threshold: number | null;
  raised_at: number | null;
  resolved_at: number | null;
  updated_at: number;
}
