/**
 * Glossary
 * - notification: one request to notify one or more recipients; owns deliveries.
 * - delivery: one message on one channel to one target (a device, a phone, a mailbox).
 * - lease: the time a worker may hold a claimed delivery before another may take it up.
 * - suppression: a delivery that is recorded but deliberately not sent (opt-out, no contact…).
 * - failover: moving a delivery to the next provider of its channel after a transient failure.
 */
export const CHANNELS = ['push', 'sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PLATFORMS = ['ios', 'android', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** Lower rank is claimed first; stored as an integer so the claim query can order by it. */
export const PRIORITY_RANK: Record<Priority, number> = { high: 0, normal: 1, low: 2 };

export type DeliveryStatus =
  | 'scheduled'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'failed'
  | 'suppressed'
  | 'cancelled'
  | 'expired';

/** Statuses after which a delivery is never sent again. `sent` is terminal for the pipeline: only receipts move it on. */
export const TERMINAL_STATUSES: ReadonlySet<DeliveryStatus> = new Set([
  'sent',
  'delivered',
  'failed',
  'suppressed',
  'cancelled',
  'expired',
]);

export type SuppressionReason =
  | 'opted_out'
  | 'unsubscribed'
  | 'rate_limited'
  | 'no_contact'
  | 'invalid_contact'
  | 'duplicate';

export type EventType =
  | 'created'
  | 'scheduled'
  | 'queued'
  | 'sent'
  | 'delivered'
  | 'opened'
  | 'clicked'
  | 'failed'
  | 'bounced'
  | 'suppressed'
  | 'cancelled'
  | 'expired'
  | 'unsubscribed'
  | 'retrying'
  /** Taken up again after a worker's lease ran out without an outcome: the attempt after it may be a second send. */
  | 'lease_expired';

export type ProviderName = 'apns' | 'fcm' | 'webpush' | 'twilio' | 'vonage' | 'sendgrid' | 'smtp';

/** Which provider serves each push platform; SMS and email pick by configured priority. */
export const PUSH_PROVIDER: Record<Platform, ProviderName> = { ios: 'apns', android: 'fcm', web: 'webpush' };
export const CHANNEL_PROVIDERS: Record<Channel, ProviderName[]> = {
  push: ['apns', 'fcm', 'webpush'],
  sms: ['twilio', 'vonage'],
  email: ['sendgrid', 'smtp'],
};
