import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../domain/delivery-error.js';
import type { ChannelAdapter, OutboundMessage } from '../../../ports/channel-adapter.js';
import { startTwilioEmulator, type TwilioEmulator } from '../../../emulators/twilio/emulator.js';
import { createTwilioAdapter } from './adapter.js';
import { parseRetryAfter } from './errors.js';

const FROM = '+15005550006';

function sms(to: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return { deliveryId: `d-${to}-${Math.random()}`, channel: 'sms', to, sms: { text: 'Your code is 123456' }, priority: 'high', ...extra };
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe('twilio adapter against the emulator', () => {
  let emu: TwilioEmulator;
  let adapter: ChannelAdapter;

  beforeAll(async () => {
    emu = await startTwilioEmulator({
      senders: [FROM],
      invalidNumbers: ['+15005550001'],
      landlineNumbers: ['+15005550009'],
      optedOutNumbers: ['+15005550004'],
    });
    adapter = createTwilioAdapter({
      account_sid: emu.accountSid,
      auth_token: emu.authToken,
      from: FROM,
      endpoint: emu.url,
      status_callback_url: 'http://127.0.0.1:9/hooks/twilio',
      connections: 4,
    });
  });
  afterAll(async () => {
    await adapter.close();
    await emu.close();
  });

  it('sends with Basic auth and form fields, and returns the SM sid', async () => {
    const expiresAt = Date.now() + 600_000;
    const res = await adapter.send(sms('+14155550100', { expiresAt }));
    expect(res.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    const got = emu.received.find((m) => m.sid === res.providerMessageId);
    expect(got).toMatchObject({
      to: '+14155550100',
      from: FROM,
      body: 'Your code is 123456',
      statusCallback: 'http://127.0.0.1:9/hooks/twilio',
      status: 'queued',
    });
    expect(got?.validityPeriod).toBeGreaterThanOrEqual(599);
    expect(got?.validityPeriod).toBeLessThanOrEqual(600);
  });

  it('caps ValidityPeriod to 1..36000 s', async () => {
    const far = await adapter.send(sms('+14155550101', { expiresAt: Date.now() + 48 * 3600_000 }));
    const past = await adapter.send(sms('+14155550102', { expiresAt: Date.now() - 1000 }));
    expect(emu.received.find((m) => m.sid === far.providerMessageId)?.validityPeriod).toBe(36_000);
    expect(emu.received.find((m) => m.sid === past.providerMessageId)?.validityPeriod).toBe(1);
  });

  it('uses MessagingServiceSid instead of From when configured', async () => {
    const svc = createTwilioAdapter({
      account_sid: emu.accountSid,
      auth_token: emu.authToken,
      messaging_service_sid: 'MG0123456789abcdef0123456789abcdef',
      endpoint: emu.url,
    });
    try {
      const res = await svc.send(sms('+14155550103'));
      const got = emu.received.find((m) => m.sid === res.providerMessageId);
      expect(got).toMatchObject({ from: null, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef', status: 'accepted' });
    } finally {
      await svc.close();
    }
  });

  it.each([
    ['+15005550001', '21211'],
    ['not-a-number', '21211'],
    ['+15005550009', '21614'],
  ])('%s → invalid_recipient %s', async (to, code) => {
    const err = await failure(adapter.send(sms(to)));
    expect(err).toMatchObject({ kind: 'invalid_recipient', providerCode: code, status: 400, optedOut: false });
  });

  it('21610 (recipient sent STOP) → invalid_recipient with optedOut', async () => {
    const err = await failure(adapter.send(sms('+15005550004')));
    expect(err).toMatchObject({ kind: 'invalid_recipient', providerCode: '21610', optedOut: true });
  });

  it('bad credentials → permanent 20003/401', async () => {
    const bad = createTwilioAdapter({ account_sid: emu.accountSid, auth_token: 'wrong', from: FROM, endpoint: emu.url });
    try {
      const err = await failure(bad.send(sms('+14155550104')));
      expect(err).toMatchObject({ kind: 'permanent', providerCode: '20003', status: 401 });
    } finally {
      await bad.close();
    }
  });

  it('a sender the account does not own → permanent 21606', async () => {
    const other = createTwilioAdapter({ account_sid: emu.accountSid, auth_token: emu.authToken, from: '+15550001111', endpoint: emu.url });
    try {
      const err = await failure(other.send(sms('+14155550105')));
      expect(err).toMatchObject({ kind: 'permanent', providerCode: '21606' });
    } finally {
      await other.close();
    }
  });

  it.each([21408, 21612, 21608])('config error %i → permanent', async (code) => {
    emu.inject({ code, status: 400 });
    const err = await failure(adapter.send(sms('+14155550106')));
    expect(err).toMatchObject({ kind: 'permanent', providerCode: String(code) });
  });

  it('20429 / HTTP 429 → rate_limited honouring Retry-After', async () => {
    emu.inject({ status: 429, code: 20429, retryAfter: 7 });
    const err = await failure(adapter.send(sms('+14155550107')));
    expect(err).toMatchObject({ kind: 'rate_limited', providerCode: '20429', status: 429, retryAfterMs: 7000 });
  });

  it('5xx → retryable', async () => {
    emu.inject({ status: 503, code: 20500 });
    const err = await failure(adapter.send(sms('+14155550108')));
    expect(err).toMatchObject({ kind: 'retryable', status: 503 });
  });

  it('a dropped connection → retryable, and the next send works', async () => {
    emu.inject({ reset: true });
    const err = await failure(adapter.send(sms('+14155550109')));
    expect(err.kind).toBe('retryable');
    await expect(adapter.send(sms('+14155550109'))).resolves.toHaveProperty('providerMessageId');
  });

  it('refuses a message without text before calling Twilio', async () => {
    const before = emu.stats.requests;
    const err = await failure(adapter.send({ ...sms('+14155550110'), sms: undefined }));
    expect(err.kind).toBe('permanent');
    expect(emu.stats.requests).toBe(before);
  });
});

describe('twilio adapter connection reuse', () => {
  it('200 concurrent sends stay within the pool size', async () => {
    const emu = await startTwilioEmulator({ latencyMs: 5 });
    const adapter = createTwilioAdapter({
      account_sid: emu.accountSid,
      auth_token: emu.authToken,
      from: FROM,
      endpoint: emu.url,
      connections: 8,
    });
    try {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => adapter.send(sms(`+1415555${String(i).padStart(4, '0')}`))));
      expect(new Set(results.map((r) => r.providerMessageId)).size).toBe(200);
      expect(emu.stats.requests).toBe(200);
      expect(emu.stats.connections).toBeGreaterThan(0);
      expect(emu.stats.connections).toBeLessThanOrEqual(8);
    } finally {
      await adapter.close();
      await emu.close();
    }
  });

  it('talks HTTPS to an emulator with a self-signed certificate given as ca', async () => {
    const emu = await startTwilioEmulator({ tls: true });
    const adapter = createTwilioAdapter({
      account_sid: emu.accountSid,
      auth_token: emu.authToken,
      from: FROM,
      endpoint: emu.url,
      ca: emu.ca,
    });
    try {
      expect(emu.url).toMatch(/^https:/);
      await expect(adapter.send(sms('+14155550111'))).resolves.toHaveProperty('providerMessageId');
    } finally {
      await adapter.close();
      await emu.close();
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const at = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('7', at)).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', at - 5000)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', at + 5000)).toBe(0);
    expect(parseRetryAfter('soon', at)).toBeUndefined();
    expect(parseRetryAfter(undefined, at)).toBeUndefined();
  });
});
