import type { Channel } from './delivery.js';

/**
 * Per-app settings (`GET`/`PUT /v1/settings`), stored as one JSON object in `apps.settings`.
 * Each top-level key is a section; a section absent means its defaults. Later sections (alert
 * thresholds, retry policy) are added here and in the HTTP schema, nothing else changes.
 */
export interface FrequencyCap {
  /** Non-suppressed notifications per user and window; 0 stops the channel for capped categories. */
  limit: number;
  window_s: number;
  /** Categories the cap does not count or stop; absent = `["transactional"]`, `[]` = none exempt. */
  exempt_categories?: string[];
}

export interface ApiRateLimit {
  limit: number;
  window_s: number;
}

/** Crossing one raises an alert; coming back under it resolves the alert. */
export interface AlertThresholds {
  /** Due deliveries waiting in any one channel. */
  queue_depth?: number;
  /** Age of the oldest due delivery in any one channel. */
  oldest_age_s?: number;
  /** A provider's failure rate over its recent answers (the breaker's window of 50), 0–1. */
  provider_failure_rate?: number;
  /** The app's deliveries that failed for good in the last hour. */
  dead_letters_per_hour?: number;
}

/** How long the log keeps what it records (worker/retention-job.ts prunes what is older). */
export interface RetentionSettings {
  /** Timeline events, by when each happened. */
  events_days: number;
  /** Deliveries in a final status, and notifications with no delivery left, by when they were created. */
  deliveries_days: number;
}

export interface AppSettings {
  frequency_caps?: Partial<Record<Channel, FrequencyCap>>;
  api_rate_limit?: ApiRateLimit;
  /** Either field may be left out: it keeps its default. */
  retention?: Partial<RetentionSettings>;
  client_templates?: string[];
  alerts?: AlertThresholds;
  default_timezone?: string;
}

/** 100 requests a second, sustained, per app: far above one service's normal use, low enough to stop a runaway loop. */
export const DEFAULT_API_RATE_LIMIT: ApiRateLimit = { limit: 6000, window_s: 60 };
/** A quarter of timelines for support questions; a year of deliveries for yearly reports. */
export const DEFAULT_RETENTION: RetentionSettings = { events_days: 90, deliveries_days: 365 };
export const DEFAULT_EXEMPT_CATEGORIES: readonly string[] = ['transactional'];

/** Stored settings; a row written by an older version or by hand never breaks a send. */
export function parseAppSettings(json: string | null | undefined): AppSettings {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as AppSettings) : {};
  } catch {
    return {};
  }
}

/** What `GET /v1/settings` shows: every section with its defaults filled in. */
export function effectiveSettings(s: AppSettings): Required<AppSettings> {
  return {
    ...s,
    frequency_caps: s.frequency_caps ?? {},
    api_rate_limit: s.api_rate_limit ?? DEFAULT_API_RATE_LIMIT,
    retention: effectiveRetention(s),
    client_templates: s.client_templates ?? [],
    default_timezone: s.default_timezone ?? 'UTC',
    alerts: s.alerts ?? {},
  };
}

/** The app's retention with defaults for what it leaves out; a hand-written non-number keeps the default. */
export function effectiveRetention(s: AppSettings): RetentionSettings {
  const r = s.retention ?? {};
  const days = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : fallback);
  return { events_days: days(r.events_days, DEFAULT_RETENTION.events_days), deliveries_days: days(r.deliveries_days, DEFAULT_RETENTION.deliveries_days) };
}
