import { DeliveryError } from '../../../domain/delivery-error.js';
import type { OutboundMessage } from '../../../ports/channel-adapter.js';

/** 4096-byte record − 86 bytes of header − 16-byte tag − 1 delimiter (RFC 8291 §4). */
export const MAX_PLAINTEXT_BYTES = 3993;

/** The JSON the service worker receives in its `push` event. */
export function buildWebPushPayload(msg: OutboundMessage): Buffer {
  const push = msg.push ?? {};
  const payload: Record<string, unknown> = {};
  if (push.title !== undefined) payload.title = push.title;
  if (push.body !== undefined) payload.body = push.body;
  if (push.data && Object.keys(push.data).length > 0) payload.data = push.data;
  if (push.url !== undefined) payload.url = push.url;
  if (push.image !== undefined) payload.image = push.image;
  if (push.badge !== undefined) payload.badge = push.badge;
  if (push.sound !== undefined) payload.sound = push.sound;
  const bytes = Buffer.from(JSON.stringify(payload));
  if (bytes.length > MAX_PLAINTEXT_BYTES) {
    throw new DeliveryError('permanent', `Web Push payload is ${bytes.length} bytes, over the ${MAX_PLAINTEXT_BYTES}-byte limit`, {
      providerCode: 'PayloadTooLarge',
    });
  }
  return bytes;
}
