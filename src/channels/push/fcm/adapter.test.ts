import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { OutboundMessage } from '../../../ports/channel-adapter.js';
import { startFcmEmulator, type FcmEmulator, type FcmServiceAccountJson } from '../../../emulators/fcm/index.js';
import { createFcmAdapter, type FcmAdapter, type FcmConfig } from './adapter.js';

let emu: FcmEmulator;
let account: FcmServiceAccountJson;
let emuClockOffset = 0;
const adapters: FcmAdapter[] = [];

beforeAll(async () => {
  emu = await startFcmEmulator({ now: () => Date.now() + emuClockOffset });
  account = emu.createServiceAccount('herald-test');
});
afterAll(() => emu.close());
afterEach(async () => {
  emu.clearFaults();
  emuClockOffset = 0;
  await Promise.all(adapters.splice(0).map((a) => a.close()));
});

function adapter(extra: Partial<FcmConfig> = {}): FcmAdapter {
  const a = createFcmAdapter({ service_account: account, endpoint: emu.url, ...extra });
  adapters.push(a);
  return a;
}

function registrationToken(): string {
  return `${randomBytes(8).toString('base64url')}:APA91b${randomBytes(96).toString('base64url')}`;
}

function message(over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    deliveryId: randomUUID(),
    channel: 'push',
    platform: 'android',
    to: registrationToken(),
    priority: 'high',
    push: { title: 'Order shipped', body: 'On its way', data: { order: '42' } },
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

describe('FCM adapter against the emulator', () => {
  it('sends an HTTP v1 message and returns its name', async () => {
    const msg = message({ expiresAt: Date.now() + 90_000, push: { title: 'T', body: 'B', image: 'https://x.test/i.png', data: { a: '1' }, url: 'https://x.test/o', badge: 2, sound: 'ding' } });
    const result = await adapter().send(msg);
    expect(result.providerMessageId).toMatch(/^projects\/herald-test\/messages\/0:/);
    const got = emu.received.find((m) => m.token === msg.to);
    expect(got?.name).toBe(result.providerMessageId);
    expect(got?.message).toMatchObject({
      notification: { title: 'T', body: 'B', image: 'https://x.test/i.png' },
      data: { a: '1', url: 'https://x.test/o' },
      android: { priority: 'high', notification: { sound: 'ding' } },
      apns: { payload: { aps: { badge: 2, sound: 'ding' } } },
      webpush: { fcm_options: { link: 'https://x.test/o' } },
    });
    const ttl = Number(String((got?.message.android as { ttl: string }).ttl).replace('s', ''));
    expect(ttl).toBeGreaterThan(85);
    expect(ttl).toBeLessThanOrEqual(90);
  });

  it('maps normal and low priority to android normal', async () => {
    const msg = message({ priority: 'low' });
    await adapter().send(msg);
    expect(emu.received.find((m) => m.token === msg.to)?.message.android).toEqual({ priority: 'normal' });
  });

  it('fetches one access token for 200 concurrent sends', async () => {
    const a = adapter();
    const before = emu.stats.tokenRequests;
    await Promise.all(Array.from({ length: 200 }, () => a.send(message())));
    expect(a.stats.tokenFetches).toBe(1);
    expect(emu.stats.tokenRequests - before).toBe(1);
  });

  it('refetches the token once after a 401 and succeeds', async () => {
    const a = adapter();
    await a.send(message());
    emu.revokeAccessTokens();
    await Promise.all(Array.from({ length: 20 }, () => a.send(message())));
    expect(a.stats.tokenFetches).toBe(2);
  });

  it('refreshes the token in its last minute without holding sends back', async () => {
    let offset = 0;
    const a = adapter({ now: () => Date.now() + offset });
    const issued = emu.stats.tokensIssued;
    await a.send(message());
    offset = emuClockOffset = 3599_000 - 30_000;
    await a.send(message());
    expect(a.stats.tokenFetches).toBe(2);
    await vi.waitFor(() => expect(emu.stats.tokensIssued).toBe(issued + 2));
    // Past the point where the old token may be used, sends wait for a new one.
    offset = emuClockOffset = 2 * 3599_000;
    await a.send(message());
    expect(a.stats.tokenFetches).toBe(3);
  });

  it('works over TLS with HTTP/2', async () => {
    const secure = await startFcmEmulator({ tls: true });
    try {
      const sa = secure.createServiceAccount('herald-tls');
      const a = createFcmAdapter({ service_account: JSON.stringify(sa), endpoint: secure.url, ca: secure.ca });
      adapters.push(a);
      await Promise.all(Array.from({ length: 20 }, () => a.send(message())));
      expect(secure.stats.accepted).toBe(20);
    } finally {
      await secure.close();
    }
  });

  describe('error mapping', () => {
    it('404 UNREGISTERED → invalid_recipient', async () => {
      const msg = message();
      emu.unregister(msg.to);
      expect(await failure(adapter().send(msg))).toMatchObject({ kind: 'invalid_recipient', providerCode: 'UNREGISTERED', status: 404 });
    });

    it('400 INVALID_ARGUMENT for a bad token → invalid_recipient', async () => {
      expect(await failure(adapter().send(message({ to: 'bad token!' })))).toMatchObject({ kind: 'invalid_recipient', providerCode: 'INVALID_ARGUMENT', status: 400 });
    });

    it('400 INVALID_ARGUMENT for a bad payload → permanent', async () => {
      emu.inject({ status: 400, errorCode: 'INVALID_ARGUMENT', message: 'Invalid value at message.android.ttl' });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind: 'permanent', providerCode: 'INVALID_ARGUMENT' });
    });

    it('a message over 4096 bytes → permanent before sending', async () => {
      const a = adapter();
      expect(await failure(a.send(message({ push: { body: 'x'.repeat(5000) } })))).toMatchObject({ kind: 'permanent', providerCode: 'MessageTooBig' });
      expect(a.stats.requests).toBe(0);
    });

    it('403 SENDER_ID_MISMATCH → permanent', async () => {
      const msg = message();
      emu.registerToken(msg.to, 'another-project');
      expect(await failure(adapter().send(msg))).toMatchObject({ kind: 'permanent', providerCode: 'SENDER_ID_MISMATCH', status: 403 });
    });

    it('401 THIRD_PARTY_AUTH_ERROR → permanent without a token refetch', async () => {
      emu.inject({ status: 401, errorCode: 'THIRD_PARTY_AUTH_ERROR' });
      const a = adapter();
      expect(await failure(a.send(message()))).toMatchObject({ kind: 'permanent', providerCode: 'THIRD_PARTY_AUTH_ERROR' });
      expect(a.stats.tokenFetches).toBe(1);
    });

    it('429 QUOTA_EXCEEDED → rate_limited, Retry-After or at least a minute', async () => {
      emu.inject({ status: 429, errorCode: 'QUOTA_EXCEEDED', retryAfterSec: 120 });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 120_000 });
      emu.inject({ status: 429, errorCode: 'QUOTA_EXCEEDED' });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
    });

    it.each([
      [503, 'UNAVAILABLE'],
      [500, 'INTERNAL'],
    ])('%i %s → retryable honouring Retry-After', async (status, errorCode) => {
      emu.inject({ status, errorCode, retryAfterSec: 5 });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind: 'retryable', providerCode: errorCode, retryAfterMs: 5000 });
    });

    it('a 401 that persists after a fresh token → permanent', async () => {
      emu.inject({ status: 401, count: 2 });
      const a = adapter();
      expect(await failure(a.send(message()))).toMatchObject({ kind: 'permanent', providerCode: 'UNAUTHENTICATED', status: 401 });
      expect(a.stats.tokenFetches).toBe(2);
    });

    it('OAuth invalid_grant → permanent, shared by concurrent sends', async () => {
      emu.inject({ on: 'token', status: 400, oauthError: 'invalid_grant', message: 'Invalid JWT Signature.' });
      const a = adapter();
      const errors = await Promise.all(Array.from({ length: 5 }, () => failure(a.send(message()))));
      for (const e of errors) expect(e).toMatchObject({ kind: 'permanent', providerCode: 'invalid_grant', status: 400 });
      expect(a.stats.tokenFetches).toBe(1);
    });

    it('an assertion signed with an unknown key → invalid_grant from the real check', async () => {
      const other = await startFcmEmulator();
      const stranger = other.createServiceAccount('herald-test');
      await other.close();
      const a = adapter({ service_account: { ...stranger, token_uri: emu.tokenUri } });
      expect(await failure(a.send(message()))).toMatchObject({ kind: 'permanent', providerCode: 'invalid_grant' });
    });

    it('OAuth 503 → retryable', async () => {
      emu.inject({ on: 'token', status: 503, oauthError: 'temporarily_unavailable' });
      expect(await failure(adapter().send(message()))).toMatchObject({ kind: 'retryable', status: 503 });
    });

    it('a timeout → retryable', async () => {
      emu.inject({ delayMs: 1000 });
      const a = adapter({ requestTimeoutMs: 150 });
      expect(await failure(a.send(message()))).toMatchObject({ kind: 'retryable' });
    });

    it('a refused connection → retryable', async () => {
      const gone = await startFcmEmulator();
      const endpoint = gone.url;
      await gone.close();
      expect(await failure(adapter({ endpoint }).send(message()))).toMatchObject({ kind: 'retryable', providerCode: 'ECONNREFUSED' });
    });
  });
});
