import { DeliveryError, vendorCode, vendorText } from '../../../domain/delivery-error.js';
import { refusedEndpointError } from '../../../domain/outbound-refused.js';

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
/** FCM asks for at least a minute of backoff on QUOTA_EXCEEDED. */
const QUOTA_BACKOFF_MS = 60_000;

export interface FcmErrorInfo {
  /** FcmError.errorCode, when the answer carries one. */
  errorCode?: string;
  /** The google.rpc status (UNAUTHENTICATED, PERMISSION_DENIED…). */
  status?: string;
  message?: string;
  /** A BadRequest field violation on message.token. */
  tokenViolation: boolean;
}

export function parseFcmError(text: string): FcmErrorInfo {
  try {
    const { error } = JSON.parse(text) as { error?: { status?: unknown; message?: unknown; details?: unknown } };
    const details = Array.isArray(error?.details) ? (error.details as Array<Record<string, unknown>>) : [];
    const fcm = details.find((d) => d['@type'] === FCM_ERROR_TYPE);
    const badRequest = details.find((d) => d['@type'] === BAD_REQUEST_TYPE);
    const violations = Array.isArray(badRequest?.fieldViolations) ? (badRequest.fieldViolations as Array<{ field?: unknown }>) : [];
    return {
      errorCode: vendorCode(fcm?.errorCode),
      status: vendorCode(error?.status),
      message: vendorText(error?.message),
      tokenViolation: violations.some((v) => v.field === 'message.token'),
    };
  } catch {
    return { tokenViolation: false };
  }
}

/** FCM answer → DeliveryError, by FcmError.errorCode first, HTTP status second. */
export function fcmDeliveryError(httpStatus: number, info: FcmErrorInfo, retryAfterMs: number | undefined): DeliveryError {
  const code = info.errorCode ?? info.status ?? `HTTP${httpStatus}`;
  const message = `FCM ${code}${info.message ? `: ${info.message}` : ''}`;
  const opts = { providerCode: code, status: httpStatus, retryAfterMs };
  switch (info.errorCode) {
    case 'UNREGISTERED':
      return new DeliveryError('invalid_recipient', message, opts);
    case 'INVALID_ARGUMENT':
      return new DeliveryError(tokenIsInvalid(info) ? 'invalid_recipient' : 'permanent', message, opts);
    case 'SENDER_ID_MISMATCH':
    case 'THIRD_PARTY_AUTH_ERROR':
    case 'APNS_AUTH_ERROR':
      return new DeliveryError('permanent', message, opts);
    case 'QUOTA_EXCEEDED':
      return new DeliveryError('rate_limited', message, { ...opts, retryAfterMs: Math.max(retryAfterMs ?? 0, QUOTA_BACKOFF_MS) });
    case 'UNAVAILABLE':
    case 'INTERNAL':
      return new DeliveryError('retryable', message, opts);
  }
  if (httpStatus === 429) return new DeliveryError('rate_limited', message, { ...opts, retryAfterMs: retryAfterMs ?? QUOTA_BACKOFF_MS });
  if (httpStatus >= 500) return new DeliveryError('retryable', message, opts);
  // An unknown 4xx (bad project, missing permission, a token refused twice) is configuration.
  return new DeliveryError('permanent', message, opts);
}

/** INVALID_ARGUMENT covers both bad payloads and bad tokens; only the latter retires the device. */
function tokenIsInvalid(info: FcmErrorInfo): boolean {
  if (info.tokenViolation) return true;
  return /registration token/i.test(info.message ?? '') && /not a valid|invalid/i.test(info.message ?? '');
}

export function transportError(err: unknown, what = 'FCM'): DeliveryError {
  const refused = refusedEndpointError(what, err);
  if (refused) return refused;
  const code = rootCode(err) ?? 'ConnectionError';
  const message = err instanceof Error ? err.message : String(err);
  return new DeliveryError('retryable', `${what}: ${message}`, { providerCode: code, cause: err });
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
