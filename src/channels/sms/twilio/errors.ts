import { DeliveryError, vendorText } from '../../../domain/delivery-error.js';
import { refusedEndpointError } from '../../../domain/outbound-refused.js';

/**
 * Twilio answers every failure with `{"code","message","more_info","status"}`; the numeric
 * `code` is more precise than the HTTP status, so it decides first.
 */
interface TwilioErrorBody {
  code?: number;
  message?: string;
}

// The number can never receive SMS: stop using it.
const INVALID_RECIPIENT = new Set([21211, 21614]);
// The recipient texted STOP; Twilio refuses until they text START.
const OPTED_OUT = 21610;
const TOO_MANY_REQUESTS = 20429;

export function twilioError(status: number, rawBody: string, retryAfter: string | undefined, now: number): DeliveryError {
  const body = parseBody(rawBody);
  const code = typeof body?.code === 'number' ? body.code : undefined;
  const message = `twilio: ${vendorText(body?.message) ?? `HTTP ${status}`}`;
  const opts = { status, providerCode: code === undefined ? undefined : String(code) };

  if (code === OPTED_OUT) return new DeliveryError('invalid_recipient', message, { ...opts, optedOut: true });
  if (code !== undefined && INVALID_RECIPIENT.has(code)) return new DeliveryError('invalid_recipient', message, opts);
  if (code === TOO_MANY_REQUESTS || status === 429) {
    return new DeliveryError('rate_limited', message, { ...opts, retryAfterMs: parseRetryAfter(retryAfter, now) });
  }
  if (status >= 500) return new DeliveryError('retryable', message, opts);
  // 20003/401 credentials, 21408/21606/21612/21608 account or sender setup, other request bugs:
  // sending the same request again cannot succeed.
  return new DeliveryError('permanent', message, opts);
}

export function twilioNetworkError(err: unknown): DeliveryError {
  const refused = refusedEndpointError('twilio', err);
  if (refused) return refused;
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('retryable', `twilio: ${message}`, { cause: err });
}

function parseBody(raw: string): TwilioErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' ? (parsed as TwilioErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
