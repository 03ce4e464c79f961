import { DeliveryError } from '../../../domain/delivery-error.js';
import type { OutboundMessage } from '../../../ports/channel-adapter.js';

export const MAX_MESSAGE_BYTES = 4096;

/** Builds the messages:send body: `{"message": {...}}`, refused locally when FCM would refuse it for size. */
export function buildFcmBody(msg: OutboundMessage, now: number): string {
  const push = msg.push ?? {};
  const message: Record<string, unknown> = { token: msg.to };

  const notification: Record<string, string> = {};
  if (push.title) notification.title = push.title;
  if (push.body) notification.body = push.body;
  if (push.image) notification.image = push.image;
  if (Object.keys(notification).length > 0) message.notification = notification;

  // FCM rejects non-string data values (INVALID_ARGUMENT), so stringify defensively.
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(push.data ?? {})) data[k] = typeof v === 'string' ? v : JSON.stringify(v);
  if (push.url && data.url === undefined) data.url = push.url;
  if (Object.keys(data).length > 0) message.data = data;

  const android: Record<string, unknown> = { priority: msg.priority === 'high' ? 'high' : 'normal' };
  if (msg.expiresAt !== undefined) android.ttl = `${Math.max(0, Math.ceil((msg.expiresAt - now) / 1000))}s`;
  if (push.sound && message.notification) android.notification = { sound: push.sound };
  message.android = android;

  // iOS devices registered through FCM read badge and sound from the APNs block.
  if (push.badge !== undefined || push.sound) {
    const aps: Record<string, unknown> = {};
    if (push.badge !== undefined) aps.badge = push.badge;
    if (push.sound) aps.sound = push.sound;
    message.apns = { payload: { aps } };
  }
  // FCM only accepts HTTPS click-through links for web clients.
  if (push.url?.startsWith('https://')) message.webpush = { fcm_options: { link: push.url } };

  const body = JSON.stringify({ message });
  const size = Buffer.byteLength(body);
  if (size > MAX_MESSAGE_BYTES) {
    throw new DeliveryError('permanent', `FCM message is ${size} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`, { providerCode: 'MessageTooBig' });
  }
  return body;
}
