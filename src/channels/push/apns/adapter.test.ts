import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { OutboundMessage } from '../../../ports/channel-adapter.js';
import { startApnsEmulator, type ApnsEmulator, type ApnsProviderKey } from '../../../emulators/apns/index.js';
import { createOutboundGuard } from '../../../outbound/guard.js';
import { createApnsAdapter, type ApnsAdapter, type ApnsConfig } from './adapter.js';

const TOPIC = 'com.example.herald';
let emu: ApnsEmulator;
let key: ApnsProviderKey;
let emuClockOffset = 0;
const adapters: ApnsAdapter[] = [];

beforeAll(async () => {
  emu = await startApnsEmulator({ topics: [TOPIC, 'com.example.other'], now: () => Date.now() + emuClockOffset });
  key = emu.createProviderKey({ teamId: 'TEAM123456', keyId: 'KEY1234567' });
});
afterAll(() => emu.close());
afterEach(async () => {
  emu.clearFaults();
  emu.setLatency(0);
  emuClockOffset = 0;
  await Promise.all(adapters.splice(0).map((a) => a.close()));
});

function adapter(extra: Partial<ApnsConfig> = {}): ApnsAdapter {
  const a = createApnsAdapter({ ...key, topic: TOPIC, endpoint: emu.url, ca: emu.ca, ...extra });
  adapters.push(a);
  return a;
}

function deviceToken(): string {
  return randomBytes(32).toString('hex');
}

function message(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    deliveryId: randomUUID(),
    channel: 'push',
    platform: 'ios',
    to: deviceToken(),
    priority: 'normal',
    push: { title: 'Order shipped', body: 'Your parcel is on its way', data: { order: '42' }, badge: 3, sound: 'default' },
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

describe('APNs adapter through the outbound guard (a tenant endpoint, SPEC §11)', () => {
  it('connects to the address the guard answers, and not at all when the guard refuses it', async () => {
    const allowed = adapter({ lookup: createOutboundGuard({ allowPrivate: true }).lookup });
    await expect(allowed.send(message())).resolves.toHaveProperty('providerMessageId');
    const before = emu.received.length;
    const refused = adapter({ lookup: createOutboundGuard({ allowPrivate: false }).lookup });
    const err = await failure(refused.send(message()));
    expect(err).toMatchObject({ kind: 'permanent', providerCode: 'invalid_endpoint' });
    expect(err.message).toMatch(/^APNs: endpoint refused: .*loopback address$/);
    expect(emu.received.length).toBe(before);
  });
});

describe('APNs adapter against the emulator', () => {
  it('delivers an alert with the headers and payload APNs expects', async () => {
    const a = adapter();
    const msg = message({ expiresAt: Date.UTC(2030, 0, 1), push: { title: 'Hi', body: 'There', data: { order: '42' }, image: 'https://x.test/i.png', url: 'https://x.test/o/42' } });
    const result = await a.send(msg);
    expect(result.providerMessageId).toBe(msg.deliveryId);
    const got = emu.received.find((m) => m.token === msg.to);
    expect(got).toMatchObject({
      topic: TOPIC,
      pushType: 'alert',
      priority: 10,
      expiration: Date.UTC(2030, 0, 1) / 1000,
      apnsId: msg.deliveryId,
      teamId: 'TEAM123456',
      payload: { aps: { alert: { title: 'Hi', body: 'There' }, 'mutable-content': 1 }, order: '42', url: 'https://x.test/o/42', image: 'https://x.test/i.png' },
    });
  });

  it('sends data-only pushes as background with priority 5 and expiration 0', async () => {
    const msg = message({ priority: 'high', push: { data: { sync: '1' } } });
    await adapter().send(msg);
    expect(emu.received.find((m) => m.token === msg.to)).toMatchObject({
      pushType: 'background',
      priority: 5,
      expiration: 0,
      payload: { aps: { 'content-available': 1 }, sync: '1' },
    });
  });

  it('sends low-priority alerts with apns-priority 5', async () => {
    const msg = message({ priority: 'low' });
    await adapter().send(msg);
    expect(emu.received.find((m) => m.token === msg.to)?.priority).toBe(5);
  });

  it('shares one JWT and one connection across 200 concurrent sends', async () => {
    const a = adapter();
    const before = emu.received.length;
    const results = await Promise.all(Array.from({ length: 200 }, () => a.send(message())));
    expect(results).toHaveLength(200);
    expect(emu.received.length - before).toBe(200);
    expect(a.stats.jwtMinted).toBe(1);
    expect(a.stats.connections).toBe(1);
  });

  it('re-mints exactly once on ExpiredProviderToken and succeeds', async () => {
    const a = adapter();
    await a.send(message());
    emu.inject({ status: 403, reason: 'ExpiredProviderToken' });
    const msg = message();
    await expect(a.send(msg)).resolves.toEqual({ providerMessageId: msg.deliveryId });
    expect(a.stats.jwtMinted).toBe(2);
    // A burst after the renewal keeps the new token.
    await Promise.all(Array.from({ length: 20 }, () => a.send(message())));
    expect(a.stats.jwtMinted).toBe(2);
  });

  it('renews concurrently expired tokens once, not once per stream', async () => {
    const a = adapter();
    await a.send(message());
    emu.inject({ status: 403, reason: 'ExpiredProviderToken', count: 30 });
    await Promise.all(Array.from({ length: 30 }, () => a.send(message())));
    expect(a.stats.jwtMinted).toBe(2);
  });

  it('gives up with a permanent error when even a fresh token is expired (clock skew)', async () => {
    const a = adapter();
    emuClockOffset = 61 * 60_000;
    const err = await failure(a.send(message()));
    expect(err).toMatchObject({ kind: 'permanent', providerCode: 'ExpiredProviderToken', status: 403 });
    expect(a.stats.jwtMinted).toBe(2);
  });

  it('replaces the token after 40 minutes by its own clock, within what APNs allows', async () => {
    let offset = 0;
    const a = adapter({ now: () => Date.now() + offset });
    await a.send(message());
    offset = emuClockOffset = 41 * 60_000;
    await a.send(message());
    expect(a.stats.jwtMinted).toBe(2);
  });

  it('reconnects after GOAWAY and resends refused streams', async () => {
    const a = adapter();
    emu.setLatency(20);
    emu.inject({ goaway: 'Shutdown' });
    const msgs = Array.from({ length: 100 }, () => message());
    const results = await Promise.all(msgs.map((m) => a.send(m)));
    expect(results.map((r) => r.providerMessageId)).toEqual(msgs.map((m) => m.deliveryId));
    // Each delivered exactly once: refused streams were not processed before being resent.
    const ids = new Set(msgs.map((m) => m.deliveryId));
    expect(emu.received.filter((r) => ids.has(r.apnsId))).toHaveLength(100);
    expect(a.stats.connections).toBeGreaterThanOrEqual(2);
    // Streams above the GOAWAY's last stream id were refused and resent on the new connection.
    expect(a.stats.requests).toBeGreaterThan(100);
    emu.goaway('Shutdown');
    await a.send(message());
    expect(a.stats.connections).toBeGreaterThanOrEqual(3);
    expect(a.stats.jwtMinted).toBe(1);
  });

  it('copes with one stream until the first authenticated request', async () => {
    const strict = await startApnsEmulator({ oneStreamUntilAuthenticated: true, keys: [] });
    try {
      const k = strict.createProviderKey();
      const a = createApnsAdapter({ ...k, topic: TOPIC, endpoint: strict.url, ca: strict.ca });
      adapters.push(a);
      await Promise.all(Array.from({ length: 50 }, () => a.send(message())));
      expect(strict.stats.accepted).toBe(50);
    } finally {
      await strict.close();
    }
  });

  describe('error mapping', () => {
    it('410 Unregistered → invalid_recipient', async () => {
      const msg = message();
      emu.unregister(msg.to, 1_700_000_000_000);
      const err = await failure(adapter().send(msg));
      expect(err).toMatchObject({ kind: 'invalid_recipient', providerCode: 'Unregistered', status: 410 });
      expect(err.message).toContain('2023-11-14');
    });

    it('400 BadDeviceToken → invalid_recipient', async () => {
      const err = await failure(adapter().send(message({ to: 'abcd' })));
      expect(err).toMatchObject({ kind: 'invalid_recipient', providerCode: 'BadDeviceToken', status: 400 });
    });

    it('a non-hex token is refused before sending', async () => {
      const a = adapter();
      const err = await failure(a.send(message({ to: 'not-a-token' })));
      expect(err).toMatchObject({ kind: 'invalid_recipient', providerCode: 'BadDeviceToken' });
      expect(a.stats.requests).toBe(0);
    });

    it('400 TopicDisallowed and DeviceTokenNotForTopic → permanent', async () => {
      const err = await failure(adapter({ topic: 'com.example.unknown' }).send(message()));
      expect(err).toMatchObject({ kind: 'permanent', providerCode: 'TopicDisallowed', status: 400 });
      const msg = message();
      emu.registerDevice(msg.to, 'com.example.other');
      expect(await failure(adapter().send(msg))).toMatchObject({ kind: 'permanent', providerCode: 'DeviceTokenNotForTopic' });
    });

    it('403 InvalidProviderToken (unknown key) → permanent', async () => {
      const stranger = await startApnsEmulator();
      const k = stranger.createProviderKey();
      await stranger.close();
      const err = await failure(adapter({ ...k }).send(message()));
      expect(err).toMatchObject({ kind: 'permanent', providerCode: 'InvalidProviderToken', status: 403 });
    });

    it('payload over 4096 bytes → permanent PayloadTooLarge without a request', async () => {
      const a = adapter();
      const err = await failure(a.send(message({ push: { title: 't', body: 'x'.repeat(5000) } })));
      expect(err).toMatchObject({ kind: 'permanent', providerCode: 'PayloadTooLarge' });
      expect(a.stats.requests).toBe(0);
    });

    it.each([
      [404, 'BadPath', 'permanent'],
      [405, 'MethodNotAllowed', 'permanent'],
      [413, 'PayloadTooLarge', 'permanent'],
      [403, 'Forbidden', 'permanent'],
      [429, 'TooManyRequests', 'rate_limited'],
      [429, 'TooManyProviderTokenUpdates', 'rate_limited'],
      [500, 'InternalServerError', 'retryable'],
      [503, 'ServiceUnavailable', 'retryable'],
      [503, 'Shutdown', 'retryable'],
      [400, 'IdleTimeout', 'retryable'],
    ])('%i %s → %s', async (status, reason, kind) => {
      emu.inject({ status, reason });
      const err = await failure(adapter().send(message()));
      expect(err).toMatchObject({ kind, providerCode: reason, status });
    });

    it('honours a Retry-After on 429 when one is present', async () => {
      emu.inject({ status: 429, reason: 'TooManyRequests', retryAfterSec: 7 });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000 });
    });

    it('a timeout → retryable', async () => {
      emu.inject({ delayMs: 1000 });
      const err = await failure(adapter({ requestTimeoutMs: 100 }).send(message()));
      expect(err).toMatchObject({ kind: 'retryable', providerCode: 'Timeout' });
    });

    it('a refused connection → retryable', async () => {
      const gone = await startApnsEmulator();
      const endpoint = gone.url;
      await gone.close();
      const err = await failure(adapter({ endpoint }).send(message()));
      expect(err).toMatchObject({ kind: 'retryable', providerCode: 'ECONNREFUSED' });
    });

    it('an untrusted certificate → retryable (transport)', async () => {
      const err = await failure(adapter({ ca: undefined }).send(message()));
      expect(err.kind).toBe('retryable');
    });
  });

  it('rejects a key that is not P-256 at configuration time', () => {
    expect(() => createApnsAdapter({ ...key, private_key: 'nonsense', topic: TOPIC })).toThrow();
  });
});
