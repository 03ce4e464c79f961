import { DeliveryError, vendorText, type DeliveryErrorKind } from '../../../domain/delivery-error.js';
import { refusedEndpointError } from '../../../domain/outbound-refused.js';

/**
 * Vonage's SMS API answers HTTP 200 even when it refuses a message; the verdict is the
 * `status` of each entry of `messages[]`. Only a non-200 HTTP status speaks for itself.
 */
const STATUS_KIND: Record<number, DeliveryErrorKind> = {
  1: 'rate_limited', // Throttled: over the account's messages per second
  5: 'retryable', // Internal error
  9: 'retryable', // Partner quota violation (out of credit): another provider may still send
  10: 'rate_limited', // Too many existing binds (concurrent connections)
  6: 'invalid_recipient', // Invalid message: the destination cannot be routed
  7: 'invalid_recipient', // Number barred
  29: 'invalid_recipient', // Non-whitelisted destination (demo account)
  33: 'invalid_recipient', // Number deactivated
  // 2, 3, 12, 22, 23 request bugs and 4, 8, 11, 14, 15, 32 account configuration: permanent.
};

export function vonageStatusError(status: number, errorText: string | undefined): DeliveryError {
  const kind = STATUS_KIND[status] ?? 'permanent';
  return new DeliveryError(kind, `vonage: ${vendorText(errorText) ?? `status ${status}`}`, { providerCode: String(status), status: 200 });
}

/** Vonage's error fields (`error-text` of the SMS API, `title`/`detail` of its newer APIs), never the body as it came. */
function errorField(body: string): string | undefined {
  try {
    const v = JSON.parse(body) as Record<string, unknown> | null;
    return v && typeof v === 'object' ? (vendorText(v['error-text']) ?? vendorText(v.detail) ?? vendorText(v.title)) : undefined;
  } catch {
    return undefined;
  }
}

export function vonageHttpError(status: number, body: string): DeliveryError {
  const detail = errorField(body);
  const message = `vonage: HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 429) return new DeliveryError('rate_limited', message, { status });
  if (status >= 500) return new DeliveryError('retryable', message, { status });
  return new DeliveryError('permanent', message, { status });
}

export function vonageNetworkError(err: unknown): DeliveryError {
  const refused = refusedEndpointError('vonage', err);
  if (refused) return refused;
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('retryable', `vonage: ${message}`, { cause: err });
}
