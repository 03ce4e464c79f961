import { createHmac } from 'node:crypto';

/**
 * `Herald-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` — the timestamp is
 * signed with the body, so a receiver that rejects old timestamps cannot be fed a recorded request again.
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

