/** FCM v1 error bodies, shaped like Google's (google.rpc.Status plus an FcmError detail). */
export interface FcmErrorBody {
  error: { code: number; message: string; status: string; details: Record<string, unknown>[] };
}

export interface FcmRejection {
  status: number;
  body: FcmErrorBody;
  retryAfterSec?: number;
}

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

/** The gRPC status Google pairs with each HTTP status. */
export function grpcStatusFor(httpStatus: number): string {
  switch (httpStatus) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 503:
      return 'UNAVAILABLE';
    default:
      return httpStatus >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

export function fcmRejection(
  status: number,
  message: string,
  errorCode?: string,
  fieldViolation?: { field: string; description: string },
): FcmRejection {
  const details: Record<string, unknown>[] = [];
  if (errorCode) details.push({ '@type': FCM_ERROR_TYPE, errorCode });
  if (fieldViolation) details.push({ '@type': BAD_REQUEST_TYPE, fieldViolations: [fieldViolation] });
  return { status, body: { error: { code: status, message, status: grpcStatusFor(status), details } } };
}

export const UNAUTHENTICATED = (): FcmRejection =>
  fcmRejection(
    401,
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  );

export const invalidArgument = (message: string, field?: string): FcmRejection =>
  fcmRejection(400, message, 'INVALID_ARGUMENT', field ? { field, description: message } : undefined);
