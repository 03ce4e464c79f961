import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { EventType } from '../../domain/delivery.js';
import { DELIVERY_ID_ARG } from '../email/sendgrid/custom-args.js';

/**
 * SendGrid's signed Event Webhook. The signature (X-Twilio-Email-Event-Webhook-Signature) is a
 * base64 DER ECDSA P-256/SHA-256 signature over `timestamp + raw body`, the timestamp coming
 * from X-Twilio-Email-Event-Webhook-Timestamp. The body must be the bytes as received: a
 * re-serialised JSON would not verify.
 */
export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

const keyCache = new Map<string, KeyObject>();

/** The verification key as SendGrid shows it (base64 DER SubjectPublicKeyInfo) or as PEM. */
function publicKey(keyText: string): KeyObject {
  let key = keyCache.get(keyText);
  if (!key) {
    key = keyText.includes('-----BEGIN')
      ? createPublicKey(keyText)
      : createPublicKey({ key: Buffer.from(keyText.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
    // Parsing a key costs more than verifying; a deployment has a handful of keys.
    if (keyCache.size > 32) keyCache.clear();
    keyCache.set(keyText, key);
  }
  return key;
}

export interface SendgridVerifyOptions {
  /** Refuse a timestamp further than this from now, against replay (default: no check, as SendGrid's SDKs). */
  maxSkewS?: number;
  now?: number;
}

export function verifySendgridSignature(
  publicKeyPemOrBase64Der: string,
  payloadRaw: Buffer | string,
  signatureB64: string | undefined,
  timestamp: string | undefined,
  opts: SendgridVerifyOptions = {},
): boolean {
  if (!signatureB64 || !timestamp) return false;
  if (opts.maxSkewS !== undefined) {
    const ts = Number(timestamp);
    if (!Number.isFinite(ts) || Math.abs((opts.now ?? Date.now()) / 1000 - ts) > opts.maxSkewS) return false;
  }
  try {
    const payload = Buffer.concat([Buffer.from(timestamp, 'utf8'), Buffer.isBuffer(payloadRaw) ? payloadRaw : Buffer.from(payloadRaw, 'utf8')]);
    return verify('sha256', payload, { key: publicKey(publicKeyPemOrBase64Der), dsaEncoding: 'der' }, Buffer.from(signatureB64, 'base64'));
  } catch {
    // A malformed key or signature is as good as a wrong one.
    return false;
  }
}

export interface SendgridEventReceipt {
  /** Herald's delivery id from the flattened custom arg; absent for mail Herald did not send. */
  deliveryId?: string;
  event: string;
  /** Unique per event: the key for ignoring SendGrid's at-least-once repeats. */
  sgEventId?: string;
  sgMessageId?: string;
  email?: string;
  /** Epoch seconds. */
  timestamp: number;
  /** bounce/dropped/deferred reason. */
  reason?: string;
  /** bounce: "bounce" or "blocked". */
  bounceType?: string;
  /** click: the URL clicked. */
  url?: string;
  /** What Herald records; undefined for processed/deferred and other non-final steps. */
  heraldEvent?: EventType;
}

const EVENTS: Partial<Record<string, EventType>> = {
  delivered: 'delivered',
  bounce: 'bounced',
  dropped: 'failed',
  open: 'opened',
  click: 'clicked',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed',
  // A spam complaint is the strongest unsubscribe there is: Gmail and Yahoo require honouring it.
  spamreport: 'unsubscribed',
};

/** The parsed JSON body of an Event Webhook POST; entries that are not events are skipped. */
export function parseSendgridEvents(json: unknown): SendgridEventReceipt[] {
  if (!Array.isArray(json)) return [];
  const out: SendgridEventReceipt[] = [];
  for (const item of json) {
    if (!item || typeof item !== 'object') continue;
    const e = item as Record<string, unknown>;
    if (typeof e.event !== 'string') continue;
    out.push({
      deliveryId: str(e[DELIVERY_ID_ARG]),
      event: e.event,
      sgEventId: str(e.sg_event_id),
      sgMessageId: str(e.sg_message_id),
      email: str(e.email),
      timestamp: typeof e.timestamp === 'number' ? e.timestamp : Number(e.timestamp) || 0,
      reason: str(e.reason) ?? (e.event === 'deferred' ? str(e.response) : undefined),
      bounceType: e.event === 'bounce' ? str(e.type) : undefined,
      url: str(e.url),
      heraldEvent: EVENTS[e.event],
    });
  }
  return out;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
