import { DeliveryError, vendorCode, vendorText } from '../../../domain/delivery-error.js';
import { refusedEndpointError } from '../../../domain/outbound-refused.js';

/** SendGrid v3 error bodies: `{"errors":[{"message","field","help"}]}`. */
interface SendgridErrorItem {
  message?: string;
  field?: string | null;
}

// A refused recipient address is reported on the personalization's `to` field.
const RECIPIENT_FIELD = /^personalizations(\.\d+|\[\d+\])?\.to/;

export function sendgridError(
  status: number,
  rawBody: string,
  rateLimitReset: string | undefined,
  now: number,
): DeliveryError {
  const errors = parseErrors(rawBody);
  const first = errors[0];
  // 413 may come back as an HTML page from the edge, so fall back to the status.
  const message = `sendgrid: ${vendorText(errors.map((e) => vendorText(e.message)).filter(Boolean).join('; ')) ?? `HTTP ${status}`}`;
  const opts = { status, providerCode: vendorCode(first?.field) };

  if (status === 429) {
    const reset = Number(rateLimitReset);
    const retryAfterMs = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
    return new DeliveryError('rate_limited', message, { ...opts, retryAfterMs });
  }
  if (status >= 500) return new DeliveryError('retryable', message, opts);
  if (status === 400) {
    const bad = errors.find((e) => e.field && RECIPIENT_FIELD.test(e.field) && /valid/i.test(e.message ?? ''));
    if (bad) return new DeliveryError('invalid_recipient', message, { ...opts, providerCode: vendorCode(bad.field) });
  }
  // 400 other validation, 401 key, 403 unverified sender or missing scope, 413 too large.
  return new DeliveryError('permanent', message, opts);
}

export function sendgridNetworkError(err: unknown): DeliveryError {
  const refused = refusedEndpointError('sendgrid', err);
  if (refused) return refused;
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('retryable', `sendgrid: ${message}`, { cause: err });
}

function parseErrors(raw: string): SendgridErrorItem[] {
  try {
    const parsed = JSON.parse(raw) as { errors?: unknown };
    return Array.isArray(parsed.errors) ? (parsed.errors as SendgridErrorItem[]) : [];
  } catch {
    return [];
  }
}
