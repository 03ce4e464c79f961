import { randomUUID } from 'node:crypto';
import webpush from 'web-push';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { OutboundMessage, WebPushSubscription } from '../../../ports/channel-adapter.js';
import { startWebPushEmulator, type WebPushEmulator } from '../../../emulators/webpush/index.js';
import { createWebPushAdapter, type WebPushAdapter, type WebPushConfig } from './adapter.js';

let emu: WebPushEmulator;
const keys = webpush.generateVAPIDKeys();
const adapters: WebPushAdapter[] = [];

beforeAll(async () => {
  emu = await startWebPushEmulator();
});
afterAll(() => emu.close());
afterEach(async () => {
  emu.clearFaults();
  await Promise.all(adapters.splice(0).map((a) => a.close()));
});

function adapter(extra: Partial<WebPushConfig> = {}): WebPushAdapter {
  const a = createWebPushAdapter({
    vapid_public_key: keys.publicKey,
    vapid_private_key: keys.privateKey,
    subject: 'mailto:ops@herald.test',
    ca: emu.ca,
    ...extra,
  });
  adapters.push(a);
  return a;
}

function message(subscription: WebPushSubscription = emu.createSubscription(), over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    deliveryId: randomUUID(),
    channel: 'push',
    platform: 'web',
    to: subscription.endpoint,
    subscription,
    priority: 'normal',
    push: { title: 'Order shipped', body: 'On its way ✈️', data: { order: '42' }, url: 'https://shop.test/o/42' },
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('Web Push adapter against the emulator', () => {
  it('delivers a payload the browser decrypts to exactly what was sent', async () => {
    const msg = message();
    const result = await adapter().send(msg);
    const got = emu.received.find((m) => m.endpoint === msg.to);
    expect(got?.payload).toBe(JSON.stringify({ title: 'Order shipped', body: 'On its way ✈️', data: { order: '42' }, url: 'https://shop.test/o/42' }));
    expect(got?.json).toEqual({ title: 'Order shipped', body: 'On its way ✈️', data: { order: '42' }, url: 'https://shop.test/o/42' });
    expect(result.providerMessageId).toBe(got?.location);
    expect(got).toMatchObject({ ttl: 2_419_200, urgency: 'normal', vapid: { aud: emu.url, sub: 'mailto:ops@herald.test', publicKey: keys.publicKey } });
  });

  it('sets TTL from expiresAt and Urgency from priority', async () => {
    const high = message(undefined, { priority: 'high', expiresAt: Date.now() + 60_000 });
    const low = message(undefined, { priority: 'low' });
    const a = adapter();
    await Promise.all([a.send(high), a.send(low)]);
    const h = emu.received.find((m) => m.endpoint === high.to);
    expect(h?.urgency).toBe('high');
    expect(h?.ttl).toBeGreaterThan(55);
    expect(h?.ttl).toBeLessThanOrEqual(60);
    expect(emu.received.find((m) => m.endpoint === low.to)?.urgency).toBe('low');
  });

  it('signs one VAPID JWT per push service for many sends', async () => {
    const a = adapter();
    await Promise.all(Array.from({ length: 100 }, () => a.send(message())));
    expect(a.stats.vapidSigned).toBe(1);
  });

  it('delivers to a subscription restricted to its VAPID key', async () => {
    const msg = message(emu.createSubscription({ applicationServerKey: keys.publicKey }));
    await expect(adapter().send(msg)).resolves.toHaveProperty('providerMessageId');
  });

  describe('error mapping', () => {
    it('a forged VAPID signature → 403 → permanent', async () => {
      const other = webpush.generateVAPIDKeys();
      const err = await failure(adapter({ vapid_private_key: other.privateKey }).send(message()));
      expect(err).toMatchObject({ kind: 'permanent', status: 403 });
      // The emulator's plain-text reason is not a push service's JSON error field, so it is not recorded (SPEC §11).
      expect(err.message).toBe('Web Push 403');
    });

    it('another sender on a restricted subscription → 403 → permanent', async () => {
      const other = webpush.generateVAPIDKeys();
      const msg = message(emu.createSubscription({ applicationServerKey: other.publicKey }));
      expect(await failure(adapter().send(msg))).toMatchObject({ kind: 'permanent', status: 403 });
    });

    it('an expired subscription → 410 → invalid_recipient', async () => {
      const sub = emu.createSubscription();
      emu.expireSubscription(sub.endpoint);
      expect(await failure(adapter().send(message(sub)))).toMatchObject({ kind: 'invalid_recipient', status: 410 });
    });

    it('an unknown subscription → 410 → invalid_recipient', async () => {
      const sub = emu.createSubscription();
      const unknown = { ...sub, endpoint: `${emu.url}/push/doesnotexist` };
      expect(await failure(adapter().send(message(unknown)))).toMatchObject({ kind: 'invalid_recipient', status: 410 });
    });

    it('a payload over 3993 bytes → permanent before sending', async () => {
      const a = adapter();
      const msg = message(undefined, { push: { title: 't', body: 'x'.repeat(4000) } });
      expect(await failure(a.send(msg))).toMatchObject({ kind: 'permanent', providerCode: 'PayloadTooLarge' });
      expect(a.stats.requests).toBe(0);
    });

    it('a payload of exactly 3993 bytes fits one record', async () => {
      const overhead = Buffer.byteLength(JSON.stringify({ body: '' }));
      const msg = message(undefined, { push: { body: 'y'.repeat(3993 - overhead) } });
      await adapter().send(msg);
      expect(emu.received.find((m) => m.endpoint === msg.to)?.payload?.length).toBe(3993);
    });

    it('malformed subscription keys → invalid_recipient', async () => {
      const sub = { ...emu.createSubscription(), keys: { p256dh: 'short', auth: 'short' } };
      expect(await failure(adapter().send(message(sub)))).toMatchObject({ kind: 'invalid_recipient', providerCode: 'InvalidSubscription' });
    });

    it('a plain-http endpoint is refused', async () => {
      const sub = { ...emu.createSubscription(), endpoint: 'http://127.0.0.1:1/push/x' };
      expect(await failure(adapter().send(message(sub)))).toMatchObject({ kind: 'invalid_recipient', providerCode: 'InvalidSubscription' });
    });

    it.each([
      [404, 'invalid_recipient'],
      [400, 'permanent'],
      [401, 'permanent'],
      [413, 'permanent'],
      [500, 'retryable'],
      [503, 'retryable'],
    ])('%i → %s', async (status, kind) => {
      emu.inject({ status });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind, status });
    });

    it('429 → rate_limited with Retry-After', async () => {
      emu.inject({ status: 429, retryAfterSec: 30 });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 30_000 });
    });

    it('a refused connection → retryable', async () => {
      const gone = await startWebPushEmulator();
      const sub = gone.createSubscription();
      await gone.close();
      expect(await failure(adapter().send(message(sub)))).toMatchObject({ kind: 'retryable', providerCode: 'ECONNREFUSED' });
    });
  });

  it('refuses a bad VAPID subject at configuration time', () => {
    expect(() => createWebPushAdapter({ vapid_public_key: keys.publicKey, vapid_private_key: keys.privateKey, subject: 'ops@herald.test' })).toThrow();
  });
});
