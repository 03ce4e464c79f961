import type { Channel, Platform, Priority, ProviderName } from '../domain/delivery.js';
import type { EmailContent, PushContent, SmsContent } from '../domain/content.js';

export interface WebPushSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** One rendered message for one target, as the worker hands it to an adapter. */
export interface OutboundMessage {
  deliveryId: string;
  /** The app the delivery belongs to (sandbox recorders keep it so one app sees only its own). */
  appId?: string;
  channel: Channel;
  /** push only */
  platform?: Platform;
  /** Device token (ios/android), subscription endpoint (web), E.164 phone (sms) or email address. */
  to: string;
  /** web push only */
  subscription?: WebPushSubscription;
  push?: PushContent;
  sms?: SmsContent;
  email?: EmailContent;
  priority: Priority;
  /** Epoch ms after which the message is useless (from the notification's ttl). */
  expiresAt?: number;
  category?: string;
}

export interface SendResult {
  /** The provider's id for the message (APNs apns-id, FCM name, Twilio SID, SendGrid X-Message-Id…). */
  providerMessageId?: string;
}

/**
 * One provider behind one channel. `send` resolves with a SendResult or throws a DeliveryError
 * (src/domain/delivery-error.ts); nothing above the adapter knows a vendor's error format.
 */
export interface ChannelAdapter {
  readonly name: ProviderName;
  readonly channel: Channel;
  send(msg: OutboundMessage): Promise<SendResult>;
  /**
   * Why the provider would refuse this message, found without sending (payload over its size
   * limit…), so the API can answer 400 at accept time instead of failing the delivery later.
   */
  check?(msg: OutboundMessage): string | undefined;
  close(): Promise<void>;
}
