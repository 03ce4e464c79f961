import type { EventType } from './delivery.js';

/**
 * Which events a webhook receives: exact types, a family (`alert.*`) or everything (`*`). Only types
 * Herald writes are accepted: a misspelt name (`delivred`) would otherwise subscribe to nothing,
 * silently, forever (SPEC §11). A type Herald starts writing is added here with it.
 */
const DELIVERY_EVENTS = [
  'created', 'scheduled', 'queued', 'sent', 'delivered', 'opened', 'clicked', 'failed', 'bounced',
  'suppressed', 'cancelled', 'expired', 'unsubscribed', 'retrying', 'lease_expired',
] as const satisfies readonly EventType[];
// Every EventType is listed above (a compile error names one left out).
type Missing = Exclude<EventType, (typeof DELIVERY_EVENTS)[number]>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

export const WEBHOOK_EVENT_TYPES: readonly string[] = [...DELIVERY_EVENTS, 'alert.raised', 'alert.resolved'];

const families = [...new Set(WEBHOOK_EVENT_TYPES.filter((t) => t.includes('.')).map((t) => `${t.slice(0, t.lastIndexOf('.'))}.*`))];
const escape = (s: string) => s.replace(/[.*]/g, (c) => `\\${c}`);

/** The pattern a webhook's `events` entries must match: `*`, a known type, or a known family. */
export const EVENT_PATTERN = `^(\\*|${[...WEBHOOK_EVENT_TYPES, ...families].map(escape).join('|')})$`;

export type EventMatcher = (type: string) => boolean;

export function eventMatcher(patterns: readonly string[]): EventMatcher {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !p.endsWith('.*')));
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1));
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p));
}

/** One event as a webhook receives it. */
export interface WebhookEvent {
  id: number;
  type: string;
  at: string;
  notification_id: string;
  delivery_id: string | null;
  channel: string | null;
  provider: string | null;
  /** The delivery's status when the batch was sent (it may have moved on since the event). */
  status: string | null;
  data: unknown;
}
