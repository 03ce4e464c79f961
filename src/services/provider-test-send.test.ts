import { describe, expect, it } from 'vitest';
import { ApiError } from '../domain/errors.js';
import { testMessage } from './provider-test-send.js';

const app = { id: 'app-1', name: 'Shop <b>' };
const P256 = Buffer.alloc(65, 4).toString('base64url');
const AUTH = Buffer.alloc(16, 1).toString('base64url');

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error('not refused');
}

describe('test messages per provider', () => {
  it('builds one message for the provider’s channel, to a checked recipient', () => {
    const sms = testMessage(app, 'vonage', ' +14155552671 ');
    expect(sms).toMatchObject({ channel: 'sms', to: '+14155552671', appId: 'app-1', priority: 'normal' });
    expect(sms.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    const email = testMessage(app, 'smtp', 'ada@example.com');
    expect(email.email?.html).toContain('Shop &lt;b&gt;');
    expect(testMessage(app, 'apns', 'ab'.repeat(32))).toMatchObject({ channel: 'push', platform: 'ios' });
    expect(testMessage(app, 'fcm', `tok_${'x'.repeat(40)}`)).toMatchObject({ channel: 'push', platform: 'android' });
    const web = testMessage(app, 'webpush', JSON.stringify({ endpoint: 'https://push.example/abc', keys: { p256dh: P256, auth: AUTH }, expirationTime: null }));
    expect(web).toMatchObject({ platform: 'web', to: 'https://push.example/abc', subscription: { endpoint: 'https://push.example/abc', keys: { p256dh: P256, auth: AUTH } } });
  });

  it('refuses recipients the provider could never take', () => {
    expect(refusal(() => testMessage(app, 'twilio', '4155552671'))).toContain('E.164');
    expect(refusal(() => testMessage(app, 'sendgrid', 'not an address'))).toContain('email');
    expect(refusal(() => testMessage(app, 'apns', 'xyz'))).toContain('hex');
    expect(refusal(() => testMessage(app, 'webpush', 'https://push.example/abc'))).toContain('JSON');
    expect(refusal(() => testMessage(app, 'webpush', JSON.stringify({ endpoint: 'http://push.example/abc', keys: { p256dh: P256, auth: AUTH } })))).toContain('https');
    expect(refusal(() => testMessage(app, 'webpush', JSON.stringify({ endpoint: 'https://push.example/abc' })))).toContain('keys');
  });
});
