import { DeliveryError, vendorCode } from '../../../domain/delivery-error.js';
import { refusedEndpointError } from '../../../domain/outbound-refused.js';
import { RequestTimeoutError } from './http2-connection.js';

/** Reasons that mean the device token itself is dead: the worker deactivates it. */
const DEAD_TOKEN = new Set(['BadDeviceToken', 'Unregistered', 'ExpiredToken']);
/** Reasons that call for a fresh connection and a later retry. */
export const RECONNECT_REASONS = new Set(['IdleTimeout', 'UnrelatedKeyIdInToken', 'Shutdown']);

/** Reads APNs's `{"reason": …, "timestamp": …}` error body; a reason that is not an identifier is dropped (the status speaks instead). */
export function parseApnsError(body: string): { reason?: string; timestamp?: number } {
  try {
    const v = JSON.parse(body) as { reason?: unknown; timestamp?: unknown };
    return {
      reason: vendorCode(v.reason),
      timestamp: typeof v.timestamp === 'number' ? v.timestamp : undefined,
    };
  } catch {
    return {};
  }
}

/** APNs answer → DeliveryError. Apple documents no Retry-After; one is honoured if a proxy adds it. */
export function apnsDeliveryError(status: number, reason: string | undefined, timestamp?: number, retryAfterMs?: number): DeliveryError {
  const code = reason ?? `HTTP${status}`;
  const opts = { providerCode: code, status, retryAfterMs };
  if (reason && DEAD_TOKEN.has(reason)) {
    const since = timestamp !== undefined ? ` (invalid since ${new Date(timestamp).toISOString()})` : '';
    return new DeliveryError('invalid_recipient', `APNs: ${code}${since}`, opts);
  }
  if (reason && RECONNECT_REASONS.has(reason)) return new DeliveryError('retryable', `APNs: ${code}`, opts);
  if (status === 429) return new DeliveryError('rate_limited', `APNs: ${code}`, opts);
  if (status >= 500) return new DeliveryError('retryable', `APNs: ${code}`, opts);
  // 400 request bugs, 403 credentials, 404/405/413: retrying the same request cannot help.
  return new DeliveryError('permanent', `APNs: ${code}`, opts);
}

/** No answer at all: the connection failed or timed out, so the request may be retried. */
export function apnsTransportError(err: unknown): DeliveryError {
  const refused = refusedEndpointError('APNs', err);
  if (refused) return refused;
  const e = err as { code?: string; message?: string };
  const code = err instanceof RequestTimeoutError ? 'Timeout' : (rootCode(err) ?? 'ConnectionError');
  return new DeliveryError('retryable', `APNs: ${e.message ?? String(err)}`, { providerCode: code, cause: err });
}

export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Node wraps socket errors (ECONNREFUSED…) in ERR_HTTP2_STREAM_CANCEL; the root cause names the problem. */
function rootCode(err: unknown): string | undefined {
  let code: string | undefined;
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') code = e.code;
  }
  return code;
}
