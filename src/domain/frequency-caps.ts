import { DEFAULT_EXEMPT_CATEGORIES, type AppSettings, type FrequencyCap } from './app-settings.js';
import type { Channel } from './delivery.js';

/**
 * Frequency caps (SPEC §3.7): per app, channel and user, at most `limit` notifications per fixed
 * window (`window_s`, aligned to the epoch, chosen by the delivery's run time so a scheduled send
 * counts in the window it goes out in). One claim is one notification on one channel for one user:
 * all push devices of one notification count once. The store decides claims atomically, in the
 * transaction that writes the deliveries.
 */
export interface CapClaim {
  app_id: string;
  user_id: string;
  channel: Channel;
  window_start: number;
  window_end: number;
  limit: number;
  /** The deliveries this claim lets through, or suppresses `rate_limited` when over the cap. */
  delivery_ids: string[];
}

/** The cap that applies, or undefined when the channel has none or the category is exempt. */
export function capFor(settings: AppSettings, channel: Channel, category: string | null): FrequencyCap | undefined {
  const cap = settings.frequency_caps?.[channel];
  if (!cap) return undefined;
  const exempt = cap.exempt_categories ?? DEFAULT_EXEMPT_CATEGORIES;
  return category !== null && exempt.includes(category) ? undefined : cap;
}

export function capWindow(at: number, windowS: number): { start: number; end: number } {
  const ms = windowS * 1000;
  const start = Math.floor(at / ms) * ms;
  return { start, end: start + ms };
}

interface SuppressibleDelivery {
  id: string;
  status: string;
  reason: string | null;
  content: string | null;
}
interface StatusEvent {
  delivery_id: string | null;
  type: string;
  data: string | null;
}

/**
 * The deliveries over their cap turned into `suppressed`/`rate_limited`, with their status event to
 * match. Pure (returns new rows), because a transaction that loses a race is tried again with the
 * rows as first planned.
 */
export function suppressOverCap<D extends SuppressibleDelivery, E extends StatusEvent>(
  deliveries: D[],
  events: E[],
  over: ReadonlySet<string>,
): { deliveries: D[]; events: E[] } {
  if (over.size === 0) return { deliveries, events };
  const opened = new Map<string, string>();
  const out = deliveries.map((d) => {
    if (!over.has(d.id)) return d;
    opened.set(d.id, d.status);
    return { ...d, status: 'suppressed', reason: 'rate_limited', content: null };
  });
  return {
    deliveries: out,
    events: events.map((e) =>
      e.delivery_id && opened.get(e.delivery_id) === e.type ? { ...e, type: 'suppressed', data: JSON.stringify({ reason: 'rate_limited' }) } : e,
    ),
  };
}
