import { createHash, createHmac } from 'node:crypto';
import type { EventType } from '../../domain/delivery.js';
import { safeEqual } from './safe-equal.js';

/**
 * Vonage SMS delivery receipts. They arrive by GET query, form POST or JSON POST (an account
 * setting); the /hooks route flattens any of those into string params before calling these.
 *
 * Signed receipts (accounts with a signature secret) carry `timestamp`, `nonce` and `sig`.
 * Vonage's scheme, as its SDKs implement it: take every param except `sig`, sort by name, join
 * as `&name=value` with '&' and '=' inside values replaced by '_'; then
 *   md5hash (the dashboard default): hex MD5 of that string followed by the secret;
 *   md5 | sha1 | sha256 | sha512: hex HMAC of that string keyed by the secret.
 * Hex case differs between Vonage's SDKs, so the comparison ignores it.
 */
export type VonageSignatureMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';

export function computeVonageSignature(
  secret: string,
  params: Record<string, string>,
  method: VonageSignatureMethod = 'md5hash',
): string {
  const base = Object.keys(params)
    .filter((k) => k !== 'sig')
    .sort()
    .map((k) => `&${k}=${String(params[k]).replace(/[&=]/g, '_')}`)
    .join('');
  if (method === 'md5hash') return createHash('md5').update(base + secret, 'utf8').digest('hex');
  return createHmac(method, secret).update(base, 'utf8').digest('hex');
}

export interface VonageVerifyOptions {
  method?: VonageSignatureMethod;
  /** Refuse receipts whose `timestamp` is further than this from now, against replay (default 300 s; 0 turns it off). */
  maxSkewS?: number;
  now?: number;
}

export function verifyVonageSignature(secret: string, params: Record<string, string>, opts: VonageVerifyOptions = {}): boolean {
  const sig = params.sig;
  if (!sig || !secret) return false;
  const maxSkew = opts.maxSkewS ?? 300;
  if (maxSkew > 0) {
    const ts = Number(params.timestamp);
    const now = (opts.now ?? Date.now()) / 1000;
    if (!Number.isFinite(ts) || Math.abs(now - ts) > maxSkew) return false;
  }
  const expected = computeVonageSignature(secret, params, opts.method ?? 'md5hash');
  return safeEqual(expected.toLowerCase(), sig.toLowerCase());
}

export type VonageReceiptStatus = 'delivered' | 'expired' | 'failed' | 'rejected' | 'accepted' | 'buffered' | 'unknown';

export interface VonageReceipt {
  /** messageId of the part this receipt is for (multi-part messages get one receipt per part). */
  providerMessageId: string;
  /** Herald's delivery id, sent as client-ref. */
  deliveryId?: string;
  status: VonageReceiptStatus | string;
  /** Vonage's DLR error code; "0" on delivery. */
  errCode?: string;
  to?: string;
  /** What Herald records; undefined for states that are not final (accepted, buffered, unknown). */
  event?: EventType;
}

const EVENTS: Partial<Record<string, EventType>> = {
  delivered: 'delivered',
  expired: 'expired',
  failed: 'failed',
  rejected: 'failed',
};

/** A receipt's params; undefined when they are not a receipt (no messageId or status). */
export function parseVonageReceipt(params: Record<string, string>): VonageReceipt | undefined {
  const id = params.messageId || params['message-id'];
  const status = (params.status || '').toLowerCase();
  if (!id || !status) return undefined;
  return {
    providerMessageId: id,
    deliveryId: params['client-ref'] || undefined,
    status,
    errCode: params['err-code'] || undefined,
    to: params.msisdn || undefined,
    event: EVENTS[status],
  };
}
