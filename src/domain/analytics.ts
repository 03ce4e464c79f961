import type { SuppressionReason } from './delivery.js';

/**
 * Analytics (`GET /v1/analytics`): delivery counts per group and the rates made from them. The
 * database does the counting (store/queries/analytics.ts); this file names the groups, says which
 * deliveries count as what, and turns the counts into the API's rows.
 */
export const ANALYTICS_DIMENSIONS = ['template', 'channel', 'provider', 'category', 'day'] as const;
export type AnalyticsDimension = (typeof ANALYTICS_DIMENSIONS)[number];

export const SUPPRESSION_REASONS: readonly SuppressionReason[] = ['opted_out', 'unsubscribed', 'rate_limited', 'no_contact', 'invalid_contact', 'duplicate'];

/**
 * Why a `failed` delivery had still reached its provider: the provider accepted it and a receipt
 * later said it bounced or was not delivered (services/receipts.ts sets these reasons, and only on a
 * delivery that was `sent`). Every other failure never left Herald with the provider's acceptance.
 */
export const FAILED_AFTER_SENDING_REASONS: readonly string[] = ['bounced', 'undelivered', 'expired_at_provider'];

/** Channels whose opens Herald learns of: the email pixel and client apps reporting a push opened. */
export const OPENABLE_CHANNELS: readonly string[] = ['email', 'push'];
/** Only email links are rewritten to tracked clicks. */
export const CLICKABLE_CHANNELS: readonly string[] = ['email'];

export const DAY_MS = 86_400_000;

export interface AnalyticsQuery {
  /** The grouping, in the order the caller gave it (rows are sorted by it). */
  groupBy: AnalyticsDimension[];
  /** Deliveries created in [since, until), epoch ms. */
  since: number;
  until: number;
}

/** What every row counts (see the README's "Analytics and retention" for each definition). */
export interface AnalyticsTotals {
  total: number;
  /** Reached a provider: `sent`, `delivered`, or failed by a receipt after the provider accepted it. */
  sent: number;
  delivered: number;
  failed: number;
  suppressed: number;
  suppressed_by_reason: Record<SuppressionReason, number>;
  cancelled: number;
  expired: number;
  /** Still queued or scheduled. */
  pending: number;
  /** Deliveries opened (or clicked) at least once, not the number of opens. */
  opened: number;
  clicked: number;
}

/** One group's counts as the database returns them. `day` is the UTC day number (epoch ms / DAY_MS). */
export interface AnalyticsCounts extends AnalyticsTotals {
  template?: string | null;
  channel?: string | null;
  provider?: string | null;
  category?: string | null;
  day?: number;
  /** `sent` on the channels that report opens, and on those that report clicks: the rates' denominators. */
  sent_openable: number;
  sent_clickable: number;
}

export type AnalyticsRow = Partial<Record<AnalyticsDimension, string | null>> &
  AnalyticsTotals & { delivery_rate: number | null; open_rate: number | null; click_rate: number | null };

/** A share to four decimals (0.6667); null when nothing could have counted (no division by zero in a report). */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

/** The API's row: the grouped keys in the asked order, then the counts and rates. Providers and days read as people write them. */
export function analyticsRow(c: AnalyticsCounts, groupBy: readonly AnalyticsDimension[]): AnalyticsRow {
  const keys: Partial<Record<AnalyticsDimension, string | null>> = {};
  for (const dim of groupBy) {
    if (dim === 'day') keys.day = new Date(Number(c.day) * DAY_MS).toISOString().slice(0, 10);
    // A delivery suppressed before a provider was chosen has provider ''.
    else keys[dim] = c[dim] || null;
  }
  const { total, sent, delivered, failed, suppressed, suppressed_by_reason, cancelled, expired, pending, opened, clicked } = c;
  return {
    ...keys,
    total,
    sent,
    delivered,
    failed,
    suppressed,
    suppressed_by_reason,
    cancelled,
    expired,
    pending,
    opened,
    clicked,
    delivery_rate: rate(delivered, sent),
    open_rate: rate(opened, c.sent_openable),
    click_rate: rate(clicked, c.sent_clickable),
  };
}
