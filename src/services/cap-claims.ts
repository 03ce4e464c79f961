import type { AppSettings } from '../domain/app-settings.js';
import type { Channel } from '../domain/delivery.js';
import { capFor, capWindow, type CapClaim } from '../domain/frequency-caps.js';
import type { DeliveriesRow } from '../ports/store.js';
import type { DeliverySummary } from './send-request.js';

/**
 * One notification's frequency-cap claims: per user and capped channel, one claim covering every
 * delivery not already suppressed (all push devices count once). Inline `to` recipients have no user
 * to count against and are not capped.
 */
export function capClaims(appId: string, deliveries: DeliveriesRow[], settings: AppSettings, category: string | null): CapClaim[] {
  if (!settings.frequency_caps) return [];
  const claims = new Map<string, CapClaim>();
  for (const d of deliveries) {
    if (d.status === 'suppressed' || d.user_id === null) continue;
    const channel = d.channel as Channel;
    const cap = capFor(settings, channel, category);
    if (!cap) continue;
    const key = `${d.user_id}\u0001${channel}`;
    let c = claims.get(key);
    if (!c) {
      const w = capWindow(d.run_at, cap.window_s);
      c = { app_id: appId, user_id: d.user_id, channel, window_start: w.start, window_end: w.end, limit: cap.limit, delivery_ids: [] };
      claims.set(key, c);
    }
    c.delivery_ids.push(d.id);
  }
  return [...claims.values()];
}

/** The response's summaries once the store has decided which deliveries went over their cap. */
export function summariesOverCap(summaries: DeliverySummary[], over: ReadonlySet<string>): DeliverySummary[] {
  if (over.size === 0) return summaries;
  return summaries.map((s) => (over.has(s.id) ? { ...s, status: 'suppressed', reason: 'rate_limited' } : s));
}
