import type { Channel } from './delivery.js';

/** `{"channels":{"sms":false},"categories":{"marketing":{"email":false}},"mute":true}`; absent = opted in. */
export interface Preferences {
  channels?: Partial<Record<Channel, boolean>>;
  categories?: Record<string, Partial<Record<Channel, boolean>>>;
  /** Global mute: nothing but transactional messages. */
  mute?: boolean;
  /** Local times (the user's timezone) between which non-urgent deliveries wait, e.g. 22:00–08:00. */
  quiet_hours?: { start: string; end: string };
}

/**
 * The consent rule. A channel opt-out (e.g. SMS STOP, which the law requires us to honour) stops
 * everything on that channel, transactional included. `transactional` messages (OTP, password reset)
 * ignore global mute and category opt-outs, which express marketing choices.
 */
export function allowedBy(prefs: Preferences | null | undefined, channel: Channel, category: string | null | undefined): boolean {
  if (!prefs) return true;
  if (prefs.channels?.[channel] === false) return false;
  if (category === 'transactional') return true;
  if (prefs.mute === true) return false;
  if (category && prefs.categories?.[category]?.[channel] === false) return false;
  return true;
}
