import type { IncomingHttpHeaders } from 'node:http2';

/** A rejection as APNs words it: HTTP status plus the `reason` of the JSON body. */
export interface ApnsRejection {
  status: number;
  reason: string;
  /** 410 only: when the token stopped being valid (epoch ms). */
  timestamp?: number;
}

export interface ApnsRequestHeaders {
  topic: string;
  pushType: string;
  priority: number;
  expiration: number;
  apnsId?: string;
  collapseId?: string;
}

const PUSH_TYPES = new Set([
  'alert',
  'background',
  'location',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'liveactivity',
  'pushtotalk',
  'widgets',
  'controls',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_TOKEN = /^(?:[0-9a-f]{2}){16,100}$/i;
const SINGLE_HEADERS = new Set(['apns-id', 'apns-topic', 'apns-push-type', 'apns-priority', 'apns-expiration', 'apns-collapse-id', 'authorization']);

export const MAX_PAYLOAD_BYTES = 4096;

/** `/3/device/<token>` → the token (possibly empty), or undefined for any other path. */
export function deviceTokenFromPath(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const m = /^\/3\/device\/([^/?]*)$/.exec(path);
  return m ? m[1] : undefined;
}

export function checkDeviceToken(token: string): ApnsRejection | undefined {
  if (token === '') return { status: 400, reason: 'MissingDeviceToken' };
  if (!HEX_TOKEN.test(token)) return { status: 400, reason: 'BadDeviceToken' };
  return undefined;
}

/** A header sent twice is a client bug APNs names rather than merges. */
export function hasDuplicateHeaders(rawHeaders: string[] | undefined): boolean {
  if (!rawHeaders) return false;
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    if (seen.has(name)) return true;
    seen.add(name);
  }
  return false;
}

export function parseApnsHeaders(h: IncomingHttpHeaders): ApnsRequestHeaders | ApnsRejection {
  const topic = str(h['apns-topic']);
  if (!topic) return { status: 400, reason: 'MissingTopic' };
  if (!/^[A-Za-z0-9.\-_]+$/.test(topic)) return { status: 400, reason: 'BadTopic' };

  const apnsId = str(h['apns-id']);
  if (apnsId !== undefined && !UUID.test(apnsId)) return { status: 400, reason: 'BadMessageId' };

  const pushType = str(h['apns-push-type']) ?? 'alert';
  if (!PUSH_TYPES.has(pushType)) return { status: 400, reason: 'InvalidPushType' };

  const priorityText = str(h['apns-priority']) ?? '10';
  if (!/^(10|5|1)$/.test(priorityText)) return { status: 400, reason: 'BadPriority' };

  const expirationText = str(h['apns-expiration']) ?? '0';
  if (!/^\d{1,12}$/.test(expirationText)) return { status: 400, reason: 'BadExpirationDate' };

  const collapseId = str(h['apns-collapse-id']);
  if (collapseId !== undefined && Buffer.byteLength(collapseId) > 64) return { status: 400, reason: 'BadCollapseId' };

  return { topic, pushType, priority: Number(priorityText), expiration: Number(expirationText), apnsId, collapseId };
}

export function isRejection(v: ApnsRequestHeaders | ApnsRejection): v is ApnsRejection {
  return 'reason' in v;
}

export function parsePayload(body: Buffer, size: number): { payload: Record<string, unknown> } | ApnsRejection {
  if (size === 0) return { status: 400, reason: 'PayloadEmpty' };
  if (size > MAX_PAYLOAD_BYTES) return { status: 413, reason: 'PayloadTooLarge' };
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return { payload: value as Record<string, unknown> };
  } catch {
    // fall through
  }
  // Apple documents no reason for a malformed payload; this one is the emulator's own.
  return { status: 400, reason: 'BadPayload' };
}

function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
