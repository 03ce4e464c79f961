import { createHmac } from 'node:crypto';
import type { EventType } from '../../domain/delivery.js';
import { safeEqual } from './safe-equal.js';

/**
 * Twilio status callbacks (POST form to the StatusCallback URL), signed with
 * X-Twilio-Signature = base64(HMAC-SHA1(AuthToken, full URL + each param name+value sorted by name)).
 */
export function computeTwilioSignature(authToken: string, fullUrl: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, name) => acc + name + params[name], fullUrl);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * `fullUrl` is the URL Twilio called, as configured in StatusCallback (scheme, host, port, path,
 * query). Behind a proxy the port may be dropped or added on the way, so — as Twilio's own SDKs
 * do — the URL is also tried with the scheme's default port toggled.
 */
export function verifyTwilioSignature(
  authToken: string,
  fullUrl: string,
  params: Record<string, string>,
  signatureHeader: string | undefined,
): boolean {
  if (!signatureHeader || !authToken) return false;
  return urlVariants(fullUrl).some((url) => safeEqual(computeTwilioSignature(authToken, url, params), signatureHeader));
}

function urlVariants(fullUrl: string): string[] {
  let url: URL;
  try {
    url = new URL(fullUrl);
  } catch {
    return [fullUrl];
  }
  const defaultPort = url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : undefined;
  if (!defaultPort || url.port) return [fullUrl];
  // URL drops a default port, so put it back by hand.
  const withPort = `${url.protocol}//${url.username ? `${url.username}:${url.password}@` : ''}${url.hostname}:${defaultPort}${url.pathname}${url.search}`;
  return [fullUrl, withPort];
}

export type TwilioMessageStatus =
  | 'accepted'
  | 'scheduled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'read'
  | 'canceled'
  | 'partially_delivered'
  | 'receiving'
  | 'received';

export interface TwilioStatusReceipt {
  providerMessageId: string;
  status: TwilioMessageStatus | string;
  /** 30xxx for carrier failures (30003 unreachable, 30006 landline…). */
  errorCode?: string;
  to?: string;
  accountSid?: string;
  /** What Herald records for it; undefined for intermediate states the pipeline already knows. */
  event?: EventType;
}

const EVENTS: Partial<Record<string, EventType>> = {
  delivered: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
  read: 'opened',
  canceled: 'cancelled',
};

/** A status callback's form fields; undefined when they are not one (no MessageSid or status). */
export function parseTwilioStatus(params: Record<string, string>): TwilioStatusReceipt | undefined {
  const sid = params.MessageSid || params.SmsSid;
  const status = (params.MessageStatus || params.SmsStatus || '').toLowerCase();
  if (!sid || !status) return undefined;
  return {
    providerMessageId: sid,
    status,
    errorCode: params.ErrorCode || undefined,
    to: params.To || undefined,
    accountSid: params.AccountSid || undefined,
    event: EVENTS[status],
  };
}
