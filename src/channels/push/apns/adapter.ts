import type { LookupFunction } from 'node:net';
import type { ChannelAdapter, OutboundMessage, SendResult } from '../../../ports/channel-adapter.js';
import { DeliveryError } from '../../../domain/delivery-error.js';
import { apnsDeliveryError, apnsTransportError, parseApnsError, parseRetryAfter, RECONNECT_REASONS } from './errors.js';
import { Http2Connection, UnprocessedError } from './http2-connection.js';
import { Limiter } from './limiter.js';
import { buildApnsRequest } from './payload.js';
import { ProviderTokenCache } from './provider-token.js';
import { refusal } from '../refusal.js';

export interface ApnsConfig {
  team_id: string;
  key_id: string;
  /** The .p8 file's PKCS#8 PEM (P-256). */
  private_key: string;
  /** The app's bundle id. */
  topic: string;
  /** api.push.apple.com when true, api.sandbox.push.apple.com otherwise (default false). */
  production?: boolean;
  /** scheme://host:port overriding Apple's host (emulators, proxies). */
  endpoint?: string;
  /** Extra trusted CA (PEM), added to Node's roots. */
  ca?: string | Buffer;
  /** The outbound guard's lookup (ports/outbound-guard.ts); absent for the sandbox emulators. */
  lookup?: LookupFunction;
  /** In-flight requests bound (default 500; APNs allows ~1000 streams per connection). */
  maxConcurrent?: number;
  /** Per-request answer deadline (default 10 s). */
  requestTimeoutMs?: number;
  /** Provider token lifetime before a fresh one is minted (default 40 min; Apple: 20–60). */
  tokenMaxAgeMs?: number;
  pingIntervalMs?: number;
  /** Clock for token ages. */
  now?: () => number;
}

export interface ApnsStats {
  /** Provider JWTs signed so far: stays at 1 for 40 minutes of traffic. */
  readonly jwtMinted: number;
  /** HTTP/2 requests made, retries included. */
  readonly requests: number;
  /** Connections opened, reconnects included. */
  readonly connections: number;
  readonly inFlight: number;
}

export interface ApnsAdapter extends ChannelAdapter {
  readonly stats: ApnsStats;
}

/** Transparent resends of streams the server never processed (GOAWAY races). */
const MAX_UNPROCESSED_RETRIES = 2;

export function createApnsAdapter(config: ApnsConfig): ApnsAdapter {
  if (!config.topic) throw new Error('APNs topic (bundle id) is required');
  const now = config.now ?? Date.now;
  const origin = resolveOrigin(config);
  const tokens = new ProviderTokenCache(config.team_id, config.key_id, config.private_key, now, config.tokenMaxAgeMs);
  const connection = new Http2Connection(origin, { ca: config.ca, lookup: config.lookup, timeoutMs: config.requestTimeoutMs, pingIntervalMs: config.pingIntervalMs });
  const limiter = new Limiter(config.maxConcurrent ?? 500);
  let requests = 0;
  let closed = false;

  async function deliver(msg: OutboundMessage): Promise<SendResult> {
    const req = buildApnsRequest(msg, config.topic);
    let token =
      tokens.fresh() ??
      (await tokens.get().catch((err: unknown) => {
        throw new DeliveryError('permanent', 'APNs: cannot sign the provider token', { providerCode: 'InvalidProviderKey', cause: err });
      }));
    let renewed = false;
    let unprocessed = 0;
    for (;;) {
      if (closed) throw new DeliveryError('retryable', 'APNs adapter is closed', { providerCode: 'Closed' });
      requests++;
      let res;
      try {
        req.headers.authorization = `bearer ${token.jwt}`;
        res = await connection.request(req.headers, req.body);
      } catch (err) {
        if (err instanceof UnprocessedError && unprocessed++ < MAX_UNPROCESSED_RETRIES) continue;
        throw apnsTransportError(err);
      }
      if (res.status === 200) {
        const id = res.headers['apns-id'];
        return { providerMessageId: (Array.isArray(id) ? id[0] : id) ?? req.apnsId };
      }
      const { reason, timestamp } = parseApnsError(res.body);
      // A token can expire under us (clock skew, a long pause): one fresh token, once per send.
      if (res.status === 403 && reason === 'ExpiredProviderToken' && !renewed) {
        renewed = true;
        token = await tokens.renew(token);
        continue;
      }
      if (reason && RECONNECT_REASONS.has(reason)) connection.reset();
      throw apnsDeliveryError(res.status, reason, timestamp, parseRetryAfter(res.headers['retry-after'], now()));
    }
  }

  return {
    name: 'apns',
    channel: 'push',
    check: (msg) => refusal(() => buildApnsRequest({ ...msg, to: msg.to || '00' }, config.topic)),
    stats: {
      get jwtMinted() {
        return tokens.minted;
      },
      get requests() {
        return requests;
      },
      get connections() {
        return connection.opened;
      },
      get inFlight() {
        return limiter.inFlight;
      },
    },
    send: (msg) => limiter.run(() => deliver(msg)),
    async close() {
      closed = true;
      await connection.close();
    },
  };
}

function resolveOrigin(config: ApnsConfig): string {
  if (!config.endpoint) return config.production ? 'https://api.push.apple.com:443' : 'https://api.sandbox.push.apple.com:443';
  const url = new URL(config.endpoint);
  if (url.protocol !== 'https:') throw new Error('APNs endpoint must be https:// (HTTP/2 over TLS)');
  return url.origin;
}
