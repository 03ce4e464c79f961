import type { LookupFunction } from 'node:net';
import { createSecureContext, rootCertificates } from 'node:tls';
import webpush from 'web-push';
import { Agent, request } from 'undici';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { Priority } from '../../../domain/delivery.js';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/channel-adapter.js';
import { parseRetryAfter, transportError, webPushDeliveryError } from './errors.js';
import { buildWebPushPayload } from './payload.js';
import { VapidHeaderCache } from './vapid-cache.js';
import { refusal } from '../refusal.js';
import { undiciConnect } from '../../outbound-sockets.js';

export interface WebPushConfig {
  /** base64url, 65-byte uncompressed P-256 point (as `web-push generate-vapid-keys` prints). */
  vapid_public_key: string;
  /** base64url, 32-byte private scalar. */
  vapid_private_key: string;
  /** mailto: or https: contact for the push services. */
  subject: string;
  /** Extra trusted CA (PEM), added to Node's roots. */
  ca?: string | Buffer;
  /** The outbound guard's lookup (ports/outbound-guard.ts): subscription endpoints are the tenant's (and its users'); absent for the sandbox emulators. */
  lookup?: LookupFunction;
  /** Connections per push-service origin (default 32). */
  maxConnections?: number;
  /** Negotiate HTTP/2 where the push service offers it (default true). */
  allowH2?: boolean;
  requestTimeoutMs?: number;
  now?: () => number;
}

export interface WebPushStats {
  readonly requests: number;
  /** VAPID JWTs signed: one per push service per 11 hours. */
  readonly vapidSigned: number;
}

export interface WebPushAdapter extends ChannelAdapter {
  readonly stats: WebPushStats;
}

/** web-push's default, four weeks: as long as push services keep a message. */
const DEFAULT_TTL_S = 2_419_200;
const URGENCY: Record<Priority, webpush.Urgency> = { high: 'high', normal: 'normal', low: 'low' };

/**
 * Web Push (RFC 8030) with aes128gcm payload encryption (RFC 8291) done by `web-push`, VAPID
 * (RFC 8292) signed once per push service, and undici carrying the request: subscriptions of
 * one browser vendor share a push-service origin, so pooled keep-alive connections pay off.
 */
export function createWebPushAdapter(config: WebPushConfig): WebPushAdapter {
  const now = config.now ?? Date.now;
  const timeoutMs = config.requestTimeoutMs ?? 10_000;
  const vapid = new VapidHeaderCache(config.subject, config.vapid_public_key, config.vapid_private_key, now);
  const allowH2 = config.allowH2 ?? true;
  const dispatcher = new Agent({
    connections: config.maxConnections ?? 32,
    allowH2,
    keepAliveTimeout: 60_000,
    // One secure context shared by every connection: parsing Node's ~150 roots per TLS handshake is slow.
    connect: undiciConnect(config.lookup, { allowH2, ...(config.ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, config.ca.toString()] }) } : {}) }),
  });
  let requests = 0;

  async function send(msg: OutboundMessage): Promise<SendResult> {
    const sub = msg.subscription;
    if (!sub) throw new DeliveryError('permanent', 'Web Push needs the subscription', { providerCode: 'MissingSubscription' });
    // A stored subscription without its keys can never be encrypted to: retire it.
    if (!sub.endpoint || !sub.keys?.p256dh || !sub.keys?.auth) {
      throw new DeliveryError('invalid_recipient', 'Web Push subscription lacks its endpoint or keys', { providerCode: 'InvalidSubscription' });
    }
    let endpoint: URL;
    try {
      endpoint = new URL(sub.endpoint);
    } catch {
      throw new DeliveryError('invalid_recipient', 'Web Push endpoint is not a URL', { providerCode: 'InvalidSubscription' });
    }
    // Push services are HTTPS by definition; anything else is a forged subscription (or SSRF).
    if (endpoint.protocol !== 'https:') {
      throw new DeliveryError('invalid_recipient', 'Web Push endpoint must be https', { providerCode: 'InvalidSubscription' });
    }
    const payload = buildWebPushPayload(msg);
    const ttl = msg.expiresAt !== undefined ? Math.max(0, Math.ceil((msg.expiresAt - now()) / 1000)) : DEFAULT_TTL_S;

    let authorization: string;
    try {
      authorization = vapid.header(endpoint.origin);
    } catch (err) {
      throw new DeliveryError('permanent', `Web Push VAPID: ${(err as Error).message}`, { providerCode: 'VapidError', cause: err });
    }
    let details: webpush.RequestDetails;
    try {
      // vapidDetails null (not undefined) so a process-wide webpush.setVapidDetails() cannot leak in.
      details = webpush.generateRequestDetails(sub, payload, {
        vapidDetails: null,
        headers: { Authorization: authorization },
        TTL: ttl,
        urgency: URGENCY[msg.priority],
        contentEncoding: 'aes128gcm',
      } as unknown as webpush.RequestOptions);
    } catch (err) {
      // web-push refuses malformed p256dh/auth keys: that subscription can never be delivered to.
      throw new DeliveryError('invalid_recipient', `Web Push subscription keys: ${(err as Error).message}`, {
        providerCode: 'InvalidSubscription',
        cause: err,
      });
    }

    requests++;
    let res;
    try {
      res = await request(endpoint, {
        method: 'POST',
        headers: stringHeaders(details.headers),
        body: details.body,
        dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw transportError(err);
    }
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) {
      const location = res.headers.location;
      return { providerMessageId: Array.isArray(location) ? location[0] : location };
    }
    throw webPushDeliveryError(res.statusCode, text, parseRetryAfter(res.headers['retry-after'], now()));
  }

  return {
    name: 'webpush',
    channel: 'push',
    check: (msg) => refusal(() => buildWebPushPayload(msg)),
    stats: {
      get requests() {
        return requests;
      },
      get vapidSigned() {
        return vapid.signed;
      },
    },
    send,
    close: () => dispatcher.close(),
  };
}

function stringHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}
