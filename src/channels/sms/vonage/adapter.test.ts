import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { ChannelAdapter, OutboundMessage } from '../../../ports/channel-adapter.js';
import { startVonageEmulator, type VonageEmulator } from '../../../emulators/vonage/emulator.js';
import { createVonageAdapter } from './adapter.js';

function sms(to: string, text = 'Your code is 123456', extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { deliveryId: `d-${Math.random().toString(36).slice(2)}`, channel: 'sms', to, sms: { text }, priority: 'high', ...extra };
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('vonage adapter against the emulator', () => {
  let emu: VonageEmulator;
  let adapter: ChannelAdapter;

  beforeAll(async () => {
    emu = await startVonageEmulator({ barredNumbers: ['447700900007'], deactivatedNumbers: ['447700900033'] });
    adapter = createVonageAdapter({
      api_key: emu.apiKey,
      api_secret: emu.apiSecret,
      from: 'Herald',
      endpoint: emu.url,
      callback_url: 'http://127.0.0.1:9/hooks/vonage',
      connections: 4,
    });
  });
  afterAll(async () => {
    await adapter.close();
    await emu.close();
  });

  it('sends form-encoded with digits-only to, client-ref, callback and ttl', async () => {
    const msg = sms('+447700900000', 'Hello', { expiresAt: Date.now() + 3600_000 });
    const res = await adapter.send(msg);
    const got = emu.received.find((m) => m.messageIds[0] === res.providerMessageId);
    expect(got).toMatchObject({
      to: '447700900000',
      from: 'Herald',
      text: 'Hello',
      type: 'text',
      clientRef: msg.deliveryId,
      callback: 'http://127.0.0.1:9/hooks/vonage',
    });
    expect(got?.ttl).toBeGreaterThan(3_590_000);
    expect(got?.ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('asks for unicode when the text is not GSM-7, and returns the first part id of a long message', async () => {
    const text = 'Ваш код: 123456. '.repeat(6);
    const res = await adapter.send(sms('+447700900001', text));
    const got = emu.received.find((m) => m.messageIds[0] === res.providerMessageId);
    expect(got).toMatchObject({ type: 'unicode', encoding: 'UCS-2' });
    expect(got?.parts.length).toBe(2);
    expect(got?.parts.join('')).toBe(text);
  });

  it('keeps GSM-7 text (with extension characters) as type=text', async () => {
    const res = await adapter.send(sms('+447700900002', 'Price: 5€ [promo] ~ é'));
    expect(emu.received.find((m) => m.messageIds[0] === res.providerMessageId)?.type).toBe('text');
  });

  it('clamps ttl into Vonage range', async () => {
    const res = await adapter.send(sms('+447700900003', 'x', { expiresAt: Date.now() + 1000 }));
    expect(emu.received.find((m) => m.messageIds[0] === res.providerMessageId)?.ttl).toBe(20_000);
  });

  it.each([
    ['+447700900007', 7],
    ['+447700900033', 33],
  ])('%s → invalid_recipient (status %i in a 200 envelope)', async (to, status) => {
    const err = await failure(adapter.send(sms(to)));
    expect(err).toMatchObject({ kind: 'invalid_recipient', providerCode: String(status), status: 200 });
  });

  it.each([
    [1, 'rate_limited'],
    [10, 'rate_limited'],
    [5, 'retryable'],
    [9, 'retryable'],
    [6, 'invalid_recipient'],
    [29, 'invalid_recipient'],
    [2, 'permanent'],
    [3, 'permanent'],
    [12, 'permanent'],
    [22, 'permanent'],
    [23, 'permanent'],
    [4, 'permanent'],
    [8, 'permanent'],
    [11, 'permanent'],
    [14, 'permanent'],
    [15, 'permanent'],
    [32, 'permanent'],
  ])('envelope status %i → %s', async (status, kind) => {
    emu.inject({ status });
    const err = await failure(adapter.send(sms('+447700900010')));
    expect(err).toMatchObject({ kind, providerCode: String(status) });
  });

  it('bad credentials → permanent status 4', async () => {
    const bad = createVonageAdapter({ api_key: emu.apiKey, api_secret: 'nope', from: 'Herald', endpoint: emu.url });
    try {
      const err = await failure(bad.send(sms('+447700900011')));
      expect(err).toMatchObject({ kind: 'permanent', providerCode: '4' });
      expect(err.message).toContain('Bad Credentials');
    } finally {
      await bad.close();
    }
  });

  it.each([
    [429, 'rate_limited'],
    [500, 'retryable'],
    [503, 'retryable'],
    [401, 'permanent'],
    [404, 'permanent'],
  ])('HTTP %i → %s', async (httpStatus, kind) => {
    emu.inject({ httpStatus });
    const err = await failure(adapter.send(sms('+447700900012')));
    expect(err).toMatchObject({ kind, status: httpStatus });
  });

  it('a dropped connection → retryable', async () => {
    emu.inject({ reset: true });
    expect((await failure(adapter.send(sms('+447700900013')))).kind).toBe('retryable');
  });
});

describe('vonage adapter connection reuse', () => {
  it('200 concurrent sends stay within the pool size', async () => {
    const emu = await startVonageEmulator({ latencyMs: 5 });
    const adapter = createVonageAdapter({ api_key: emu.apiKey, api_secret: emu.apiSecret, from: '447700900999', endpoint: emu.url, connections: 6 });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => adapter.send(sms(`+4477009${String(i).padStart(5, '0')}`))));
      expect(new Set(results.map((r) => r.providerMessageId)).size).toBe(200);
      expect(emu.stats.connections).toBeGreaterThan(0);
      expect(emu.stats.connections).toBeLessThanOrEqual(6);
    } finally {
      await adapter.close();
      await emu.close();
    }
  });
});
