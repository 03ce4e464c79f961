/**
 * Which events a webhook receives. Types are lower-case words, dotted for families that come from
 * elsewhere in the system (`alert.raised`, `alert.resolved`); a webhook names exact types, a family
 * (`alert.*`) or everything (`*`). Any well-formed name is accepted, so a webhook can subscribe to
 * types Herald starts writing later without being changed.
 */
export const EVENT_PATTERN = '^(\\*|[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*(\\.\\*)?)$';

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
