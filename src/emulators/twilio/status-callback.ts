import { createHmac } from 'node:crypto';
import { callWebhook, type WebhookResult } from '../shared/msg-webhook.js';

/**
 * A Messages status callback as Twilio posts it: form fields, signed with X-Twilio-Signature =
 * base64(HMAC-SHA1(AuthToken, URL + sorted name+value pairs)) — computed here independently of
 * Herald's verifier so the two check each other.
 */
export interface StatusCallbackFields {
  accountSid: string;
  sid: string;
  from: string | null;
  to: string;
  messagingServiceSid: string | null;
  status: string;
  errorCode?: number;
}

export function postStatusCallback(url: string, authToken: string, m: StatusCallbackFields): Promise<WebhookResult> {
  const params: Record<string, string> = {
    AccountSid: m.accountSid,
    ApiVersion: '2010-04-01',
    From: m.from ?? '',
    MessageSid: m.sid,
    MessageStatus: m.status,
    SmsSid: m.sid,
    SmsStatus: m.status,
    To: m.to,
  };
  if (m.messagingServiceSid) params.MessagingServiceSid = m.messagingServiceSid;
  if (m.errorCode !== undefined) params.ErrorCode = String(m.errorCode);
  return callWebhook(url, {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': sign(authToken, url, params),
      'user-agent': 'TwilioProxy/1.1',
    },
    body: new URLSearchParams(params).toString(),
  });
}

function sign(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}
