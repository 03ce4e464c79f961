import { createHash, createHmac, randomBytes } from 'node:crypto';
import { callWebhook, type WebhookResult } from '../shared/msg-webhook.js';

/**
 * Vonage delivery receipts as the SMS API sends them: one per message part, by GET, form POST or
 * JSON POST (an account setting), optionally signed when the account has a signature secret.
 */
export type VonageDlrStatus = 'delivered' | 'expired' | 'failed' | 'rejected' | 'accepted' | 'buffered' | 'unknown';
export type VonageDlrMethod = 'GET' | 'POST' | 'POST-JSON';
export type VonageSignatureMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';

export interface VonageDlrSigning {
  secret: string;
  /** Default md5hash, Vonage's default for accounts with a signature secret. */
  method?: VonageSignatureMethod;
}

export interface VonageDlrFields {
  messageId: string;
  msisdn: string;
  sender: string;
  apiKey: string;
  clientRef?: string;
  status: VonageDlrStatus;
  errCode: string;
}

export function dlrParams(d: VonageDlrFields, at = new Date()): Record<string, string> {
  const iso = at.toISOString();
  const params: Record<string, string> = {
    msisdn: d.msisdn,
    to: d.sender,
    'network-code': '23410',
    messageId: d.messageId,
    price: '0.03330000',
    status: d.status,
    // YYMMDDHHMM, the carrier's timestamp.
    scts: iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16),
    'err-code': d.errCode,
    'api-key': d.apiKey,
    'message-timestamp': `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
  };
  if (d.clientRef) params['client-ref'] = d.clientRef;
  return params;
}

/**
 * Vonage's signing scheme: sorted `&name=value` pairs with '&' and '=' inside values replaced by
 * '_'; md5hash appends the secret and takes MD5, the others are an HMAC keyed by the secret.
 * Written here independently of Herald's verifier so each checks the other.
 */
export function signDlr(params: Record<string, string>, signing: VonageDlrSigning, now = Date.now()): Record<string, string> {
  const signed: Record<string, string> = {
    ...params,
    timestamp: String(Math.floor(now / 1000)),
    nonce: randomBytes(8).toString('hex'),
  };
  const base = Object.keys(signed)
    .sort()
    .map((k) => `&${k}=${signed[k].replace(/[&=]/g, '_')}`)
    .join('');
  const method = signing.method ?? 'md5hash';
  signed.sig =
    method === 'md5hash'
      ? createHash('md5').update(base + signing.secret).digest('hex')
      : createHmac(method, signing.secret).update(base).digest('hex').toUpperCase();
  return signed;
}

export function postDlr(url: string, method: VonageDlrMethod, params: Record<string, string>): Promise<WebhookResult> {
  if (method === 'GET') {
    const target = new URL(url);
    for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    return callWebhook(target.toString(), { method: 'GET' });
  }
  if (method === 'POST-JSON') {
    return callWebhook(url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
  }
  return callWebhook(url, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}
