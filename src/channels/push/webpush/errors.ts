import { DeliveryError, vendorText } from '../../../domain/delivery-error.js';
import { refusedEndpointError } from '../../../domain/outbound-refused.js';

/**
 * The message field of a push service's JSON error (Mozilla autopush `{"code","errno","error","message"}`,
 * Apple `{"reason"}`), or nothing: the endpoint is a subscription's, so any server may be answering.
 */
export function pushServiceMessage(body: string): string | undefined {
  try {
    const v = JSON.parse(body) as Record<string, unknown> | null;
    return v && typeof v === 'object' ? (vendorText(v.message) ?? vendorText(v.reason) ?? vendorText(v.error)) : undefined;
  } catch {
    return undefined;
  }
}

/** Push service answer (RFC 8030) → DeliveryError. */
export function webPushDeliveryError(status: number, body: string, retryAfterMs: number | undefined): DeliveryError {
  const code = `HTTP${status}`;
  const detail = pushServiceMessage(body);
  const message = `Web Push ${status}${detail ? `: ${detail}` : ''}`;
  const opts = { providerCode: code, status, retryAfterMs };
  // 404/410: the subscription is gone (browser unsubscribed, expired): stop using it.
  if (status === 404 || status === 410) return new DeliveryError('invalid_recipient', message, opts);
  if (status === 429) return new DeliveryError('rate_limited', message, opts);
  if (status >= 500) return new DeliveryError('retryable', message, opts);
  // 400 headers, 401/403 VAPID, 413 size: our request or keys are wrong; a retry is the same request.
  return new DeliveryError('permanent', message, opts);
}

export function transportError(err: unknown): DeliveryError {
  // A subscription endpoint that is (or now resolves to) a private address is forged: the device is retired.
  const refused = refusedEndpointError('Web Push', err, 'invalid_recipient');
  if (refused) return refused;
  const code = rootCode(err) ?? 'ConnectionError';
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('retryable', `Web Push: ${message}`, { providerCode: code, cause: err });
}

export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function rootCode(err: unknown): string | undefined {
  let code: string | undefined;
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') code = e.code;
  }
  return code;
}
