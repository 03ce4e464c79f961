import type { OutgoingHttpHeaders } from 'node:http2';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { OutboundMessage } from '../../../ports/channel-adapter.js';

export const MAX_PAYLOAD_BYTES = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ApnsRequest {
  /** Per message; the caller sets `authorization`, which changes when the provider token does. */
  headers: OutgoingHttpHeaders;
  body: Buffer;
  apnsId?: string;
}

/** Turns a rendered push into the APNs request, refusing locally what APNs would refuse. */
export function buildApnsRequest(msg: OutboundMessage, topic: string): ApnsRequest {
  const token = normalizeToken(msg.to);
  const push = msg.push ?? {};
  // Apple: badge and sound changes need an alert push too; only a silent data push is background.
  const alert = Boolean(push.title || push.body) || push.badge !== undefined || Boolean(push.sound);
  const aps: Record<string, unknown> = {};
  if (push.title || push.body) aps.alert = { ...(push.title ? { title: push.title } : {}), ...(push.body ? { body: push.body } : {}) };
  if (push.badge !== undefined) aps.badge = push.badge;
  if (push.sound) aps.sound = push.sound;
  // A Notification Service Extension only runs (and can fetch the image) with mutable-content.
  if (push.image && alert) aps['mutable-content'] = 1;
  if (!alert) aps['content-available'] = 1;

  const payload: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(push.data ?? {})) if (k !== 'aps') payload[k] = v;
  if (push.url && payload.url === undefined) payload.url = push.url;
  if (push.image && payload.image === undefined) payload.image = push.image;
  payload.aps = aps;

  const body = Buffer.from(JSON.stringify(payload));
  if (body.length > MAX_PAYLOAD_BYTES) {
    throw new DeliveryError('permanent', `APNs payload is ${body.length} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`, {
      providerCode: 'PayloadTooLarge',
    });
  }

  const apnsId = msg.deliveryId.toLowerCase();
  const headers: OutgoingHttpHeaders = {
    ':method': 'POST',
    ':path': `/3/device/${token}`,
    'apns-topic': topic,
    'apns-push-type': alert ? 'alert' : 'background',
    // Background pushes must be 5; low priority alerts are batched by the device for power.
    'apns-priority': alert && msg.priority !== 'low' ? '10' : '5',
    'apns-expiration': msg.expiresAt !== undefined ? String(Math.max(0, Math.floor(msg.expiresAt / 1000))) : '0',
  };
  // APNs refuses a malformed apns-id (BadMessageId); without one it makes its own.
  if (!UUID.test(apnsId)) return { headers, body };
  headers['apns-id'] = apnsId;
  return { headers, body, apnsId };
}

/** Tokens get pasted as `<abcd ef01 …>` from Xcode logs; APNs wants bare hex. */
function normalizeToken(to: string): string {
  const token = to.replace(/[<>\s]/g, '').toLowerCase();
  if (token.length % 2 !== 0 || !/^[0-9a-f]+$/.test(token)) {
    throw new DeliveryError('invalid_recipient', 'APNs device token must be hexadecimal', { providerCode: 'BadDeviceToken' });
  }
  return token;
}
