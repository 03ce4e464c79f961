import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

// Deliberately simple: one @, no spaces, a dot in the domain. RFC 5322 in full accepts addresses no
// provider will deliver to; the provider's answer is the final word.
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:.]{2,}$/;

export function isEmail(s: string): boolean {
  return s.length <= 254 && EMAIL.test(s);
}

/** E.164 only (`+` and country code): returns the normalised number or undefined when it is not a valid number. */
export function normalisePhone(s: string): string | undefined {
  if (!/^\+[1-9]\d{6,14}$/.test(s)) return undefined;
  const p = parsePhoneNumberFromString(s);
  return p && p.isValid() ? p.number : undefined;
}

/** APNs device tokens are hex; today 64 characters, Apple says not to assume the length. */
export const isApnsToken = (s: string) => /^[0-9a-fA-F]{64,200}$/.test(s);
/** FCM registration tokens: URL-safe characters and colons, typically ~150–250 long. */
export const isFcmToken = (s: string) => /^[A-Za-z0-9_:\-.]{20,4096}$/.test(s);

const b64urlBytes = (s: string) => (/^[A-Za-z0-9_-]+=*$/.test(s) ? Buffer.from(s, 'base64url').length : -1);

/** A Web Push subscription: an https endpoint, a 65-byte uncompressed P-256 key and a 16-byte auth secret. */
export function webSubscriptionProblem(sub: { endpoint: string; keys: { p256dh: string; auth: string } }): string | undefined {
  let url: URL;
  try {
    url = new URL(sub.endpoint);
  } catch {
    return 'subscription.endpoint must be an absolute URL';
  }
  if (url.protocol !== 'https:') return 'subscription.endpoint must be https';
  if (b64urlBytes(sub.keys.p256dh) !== 65) return 'subscription.keys.p256dh must be a base64url 65-byte P-256 public key';
  if (b64urlBytes(sub.keys.auth) !== 16) return 'subscription.keys.auth must be a base64url 16-byte secret';
  return undefined;
}
