import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { callWebhook, type WebhookResult } from '../shared/msg-webhook.js';

/**
 * SendGrid's signed Event Webhook: a JSON array of events, signed with ECDSA P-256/SHA-256 over
 * `timestamp + raw body`, the DER signature base64 in X-Twilio-Email-Event-Webhook-Signature.
 * The key pair is made per emulator at start, so no private key is ever committed.
 */
const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

export type SendgridEventType =
  | 'processed'
  | 'dropped'
  | 'delivered'
  | 'deferred'
  | 'bounce'
  | 'open'
  | 'click'
  | 'spamreport'
  | 'unsubscribe'
  | 'group_unsubscribe'
  | 'group_resubscribe';

export interface EventSigner {
  /** Base64 DER SubjectPublicKeyInfo, the form SendGrid's settings page shows. */
  readonly publicKey: string;
  readonly publicKeyPem: string;
  signedHeaders(body: string, timestamp?: number): Record<string, string>;
  post(url: string, events: object[]): Promise<WebhookResult>;
}

export function createEventSigner(): EventSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signedHeaders = (body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> => ({
    [SIGNATURE_HEADER]: signPayload(privateKey, `${timestamp}${body}`),
    [TIMESTAMP_HEADER]: String(timestamp),
  });
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    signedHeaders,
    post: (url, events) => {
      const body = JSON.stringify(events);
      return callWebhook(url, {
        headers: { 'content-type': 'application/json', 'user-agent': 'SendGrid Event API', ...signedHeaders(body) },
        body,
      });
    },
  };
}

function signPayload(key: KeyObject, data: string): string {
  return sign('sha256', Buffer.from(data, 'utf8'), { key, dsaEncoding: 'der' }).toString('base64');
}

export interface EventSource {
  messageId: string;
  email: string;
  categories?: string[];
  /** Top-level and personalization custom_args merged; SendGrid flattens them into each event. */
  customArgs: Record<string, string>;
}

/** One event as SendGrid shapes it, with the type-specific fields it adds. */
export function buildEvent(src: EventSource, event: SendgridEventType, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    ...src.customArgs,
    email: src.email,
    timestamp: Math.floor(Date.now() / 1000),
    'smtp-id': `<${src.messageId}@geopod-ismtpd-1>`,
    event,
    sg_event_id: randomBytes(16).toString('base64url'),
    sg_message_id: `${src.messageId}.recvd-emulator-1-0`,
  };
  if (src.categories?.length) base.category = src.categories;
  if (event === 'delivered') base.response = '250 2.0.0 OK';
  if (event === 'bounce') {
    Object.assign(base, { reason: '550 5.1.1 The email account that you tried to reach does not exist.', status: '5.1.1', type: 'bounce' });
  }
  if (event === 'dropped') base.reason = 'Bounced Address';
  if (event === 'deferred') Object.assign(base, { response: '451 4.3.0 Try again later', attempt: '1' });
  return { ...base, ...extra };
}
