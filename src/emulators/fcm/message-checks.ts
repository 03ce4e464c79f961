import { invalidArgument, type FcmRejection } from './errors.js';

export const MAX_MESSAGE_BYTES = 4096;

const MESSAGE_FIELDS = new Set(['name', 'data', 'notification', 'android', 'webpush', 'apns', 'fcm_options', 'token', 'topic', 'condition']);
const NOTIFICATION_FIELDS = new Set(['title', 'body', 'image']);
const ANDROID_PRIORITIES = new Set(['high', 'normal', 'HIGH', 'NORMAL']);
/** Registration tokens are long base64url-ish strings with a colon after the instance id. */
const REGISTRATION_TOKEN = /^[A-Za-z0-9_\-:.]{16,4096}$/;

export interface CheckedMessage {
  validateOnly: boolean;
  message: Record<string, unknown>;
  token?: string;
  topic?: string;
  condition?: string;
}

/** Checks a messages:send body the way FCM's proto parser and validator would. */
export function checkSendBody(raw: Buffer, size = raw.length): CheckedMessage | FcmRejection {
  if (size > MAX_MESSAGE_BYTES) return invalidArgument(`Message is too big: ${size} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return invalidArgument('Invalid JSON payload received. Unexpected token.');
  }
  if (!isObject(body) || !isObject(body.message)) return invalidArgument('Request contains an invalid argument.', 'message');
  const message = body.message;
  for (const key of Object.keys(message)) {
    if (!MESSAGE_FIELDS.has(key)) return invalidArgument(`Invalid JSON payload received. Unknown name "${key}" at 'message': Cannot find field.`, `message.${key}`);
  }
  const targets = ['token', 'topic', 'condition'].filter((k) => message[k] !== undefined);
  if (targets.length !== 1) return invalidArgument('Exactly one of token, topic or condition must be specified.', 'message');
  if (message.token !== undefined && (typeof message.token !== 'string' || !REGISTRATION_TOKEN.test(message.token))) {
    return invalidArgument('The registration token is not a valid FCM registration token', 'message.token');
  }
  if (message.topic !== undefined && (typeof message.topic !== 'string' || !/^[a-zA-Z0-9\-_.~%]+$/.test(message.topic))) {
    return invalidArgument('Invalid topic name.', 'message.topic');
  }
  const dataProblem = checkStringMap(message.data, 'message.data');
  if (dataProblem) return dataProblem;
  if (message.notification !== undefined) {
    if (!isObject(message.notification)) return invalidArgument('Invalid value at \'message.notification\'', 'message.notification');
    for (const [k, v] of Object.entries(message.notification)) {
      if (!NOTIFICATION_FIELDS.has(k)) return invalidArgument(`Invalid JSON payload received. Unknown name "${k}" at 'message.notification': Cannot find field.`, `message.notification.${k}`);
      if (typeof v !== 'string') return invalidArgument(`Invalid value at 'message.notification.${k}' (TYPE_STRING)`, `message.notification.${k}`);
    }
  }
  const androidProblem = checkAndroid(message.android);
  if (androidProblem) return androidProblem;
  return {
    validateOnly: body.validate_only === true,
    message,
    token: message.token as string | undefined,
    topic: message.topic as string | undefined,
    condition: message.condition as string | undefined,
  };
}

function checkAndroid(android: unknown): FcmRejection | undefined {
  if (android === undefined) return undefined;
  if (!isObject(android)) return invalidArgument("Invalid value at 'message.android'", 'message.android');
  if (android.priority !== undefined && !ANDROID_PRIORITIES.has(String(android.priority))) {
    return invalidArgument(`Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), "${String(android.priority)}"`, 'message.android.priority');
  }
  if (android.ttl !== undefined && (typeof android.ttl !== 'string' || !/^\d+(\.\d{1,9})?s$/.test(android.ttl))) {
    return invalidArgument(`Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), "${String(android.ttl)}"`, 'message.android.ttl');
  }
  return checkStringMap(android.data, 'message.android.data');
}

function checkStringMap(map: unknown, field: string): FcmRejection | undefined {
  if (map === undefined) return undefined;
  if (!isObject(map)) return invalidArgument(`Invalid value at '${field}'`, field);
  let i = 0;
  for (const v of Object.values(map)) {
    if (typeof v !== 'string') return invalidArgument(`Invalid value at '${field}[${i}].value' (TYPE_STRING), ${JSON.stringify(v)}`, `${field}[${i}].value`);
    i++;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
