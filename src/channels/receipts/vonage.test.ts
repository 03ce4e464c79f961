import { describe, expect, it } from 'vitest';
import { startVonageEmulator } from '../../emulators/vonage/emulator.js';
import { createVonageAdapter } from '../sms/vonage/adapter.js';
import { startHookServer } from './hook-server.test-helper.js';
import { computeVonageSignature, parseVonageReceipt, verifyVonageSignature, type VonageSignatureMethod } from './vonage.js';

// Vector from Vonage's Python SDK tests (md5hash, secret "secret"): produced elsewhere, so it
// catches a self-consistent mistake in the base string.
const SDK_PARAMS = { a: '1', b: '2', timestamp: '1461605396' };
const SDK_SIG = '6af838ef94998832dbfc29020b564830';

describe('verifyVonageSignature', () => {
  it("matches the Vonage SDK's md5hash vector", () => {
    expect(computeVonageSignature('secret', SDK_PARAMS)).toBe(SDK_SIG);
    expect(verifyVonageSignature('secret', { ...SDK_PARAMS, sig: SDK_SIG }, { maxSkewS: 0 })).toBe(true);
  });

  it('rejects altered params, another secret, a forged sig and a missing sig', () => {
    expect(verifyVonageSignature('secret', { ...SDK_PARAMS, b: '3', sig: SDK_SIG }, { maxSkewS: 0 })).toBe(false);
    expect(verifyVonageSignature('secret', { ...SDK_PARAMS, c: '', sig: SDK_SIG }, { maxSkewS: 0 })).toBe(false);
    expect(verifyVonageSignature('other', { ...SDK_PARAMS, sig: SDK_SIG }, { maxSkewS: 0 })).toBe(false);
    expect(verifyVonageSignature('secret', { ...SDK_PARAMS, sig: SDK_SIG.replace('6', '7') }, { maxSkewS: 0 })).toBe(false);
    expect(verifyVonageSignature('secret', SDK_PARAMS, { maxSkewS: 0 })).toBe(false);
  });

  it('refuses a stale timestamp by default (replay)', () => {
    expect(verifyVonageSignature('secret', { ...SDK_PARAMS, sig: SDK_SIG })).toBe(false);
    expect(verifyVonageSignature('secret', { ...SDK_PARAMS, sig: SDK_SIG }, { now: 1461605396_000 + 60_000 })).toBe(true);
  });

  it.each<VonageSignatureMethod>(['md5', 'sha1', 'sha256', 'sha512'])('HMAC-%s, either hex case, & and = replaced by _', (method) => {
    const params = { messageId: 'ABC', status: 'delivered', 'client-ref': 'x&y=z', timestamp: '1700000000' };
    const sig = computeVonageSignature('s3cr3t', params, method);
    expect(computeVonageSignature('s3cr3t', { ...params, 'client-ref': 'x_y_z' }, method)).toBe(sig);
    const opts = { method, now: 1_700_000_000_000 };
    expect(verifyVonageSignature('s3cr3t', { ...params, sig }, opts)).toBe(true);
    expect(verifyVonageSignature('s3cr3t', { ...params, sig: sig.toUpperCase() }, opts)).toBe(true);
    expect(verifyVonageSignature('s3cr3t', { ...params, status: 'failed', sig }, opts)).toBe(false);
    expect(verifyVonageSignature('s3cr3t', { ...params, sig }, { ...opts, method: 'md5hash' })).toBe(false);
  });
});

describe('parseVonageReceipt', () => {
  it('maps statuses and reads client-ref as the delivery id', () => {
    const base = { messageId: 'M1', msisdn: '447700900000', 'client-ref': 'd-1', 'err-code': '0' };
    expect(parseVonageReceipt({ ...base, status: 'delivered' })).toEqual({
      providerMessageId: 'M1',
      deliveryId: 'd-1',
      status: 'delivered',
      errCode: '0',
      to: '447700900000',
      event: 'delivered',
    });
    expect(parseVonageReceipt({ ...base, status: 'expired' })?.event).toBe('expired');
    expect(parseVonageReceipt({ ...base, status: 'failed' })?.event).toBe('failed');
    expect(parseVonageReceipt({ ...base, status: 'rejected' })?.event).toBe('failed');
    expect(parseVonageReceipt({ ...base, status: 'accepted' })?.event).toBeUndefined();
    expect(parseVonageReceipt({ ...base, status: 'buffered' })?.event).toBeUndefined();
    expect(parseVonageReceipt({ msisdn: '1' })).toBeUndefined();
  });
});

describe('receipts from the emulator', () => {
  it('arrive per part, signed with the signature secret, and parse', async () => {
    const hook = await startHookServer();
    const emu = await startVonageEmulator({
      dlr: { delayMs: 1, method: 'POST-JSON', signing: { secret: 'sig-secret', method: 'sha256' } },
      undeliverableNumbers: ['447700900066'],
    });
    const adapter = createVonageAdapter({
      api_key: emu.apiKey,
      api_secret: emu.apiSecret,
      from: 'Herald',
      endpoint: emu.url,
      callback_url: `${hook.url}/hooks/vonage`,
    });
    try {
      const res = await adapter.send({ deliveryId: 'd-long', channel: 'sms', to: '+447700900000', sms: { text: 'x'.repeat(200) }, priority: 'normal' });
      const first = JSON.parse((await hook.next()).body.toString()) as Record<string, string>;
      const second = JSON.parse((await hook.next()).body.toString()) as Record<string, string>;
      for (const dlr of [first, second]) {
        expect(verifyVonageSignature('sig-secret', dlr, { method: 'sha256' })).toBe(true);
        expect(verifyVonageSignature('wrong', dlr, { method: 'sha256' })).toBe(false);
        expect(verifyVonageSignature('sig-secret', { ...dlr, status: 'failed' }, { method: 'sha256' })).toBe(false);
      }
      expect(parseVonageReceipt(first)).toMatchObject({ providerMessageId: res.providerMessageId, deliveryId: 'd-long', event: 'delivered' });
      expect(parseVonageReceipt(second)?.deliveryId).toBe('d-long');
      expect(parseVonageReceipt(second)?.providerMessageId).not.toBe(res.providerMessageId);

      await adapter.send({ deliveryId: 'd-dead', channel: 'sms', to: '+447700900066', sms: { text: 'hi' }, priority: 'normal' });
      const failed = JSON.parse((await hook.next()).body.toString()) as Record<string, string>;
      expect(parseVonageReceipt(failed)).toMatchObject({ deliveryId: 'd-dead', status: 'failed', errCode: '1', event: 'failed' });
    } finally {
      await adapter.close();
      await emu.close();
      await hook.close();
    }
  });

  it('can also be sent as a GET query', async () => {
    const hook = await startHookServer();
    const emu = await startVonageEmulator({ dlr: { delayMs: 1, method: 'GET', url: `${hook.url}/hooks/vonage`, signing: { secret: 's' } } });
    const adapter = createVonageAdapter({ api_key: emu.apiKey, api_secret: emu.apiSecret, from: 'Herald', endpoint: emu.url });
    try {
      await adapter.send({ deliveryId: 'd-get', channel: 'sms', to: '+447700900000', sms: { text: 'hi' }, priority: 'normal' });
      const got = await hook.next();
      expect(got.method).toBe('GET');
      const params = Object.fromEntries(new URL(got.url, hook.url).searchParams);
      expect(verifyVonageSignature('s', params)).toBe(true);
      expect(parseVonageReceipt(params)?.deliveryId).toBe('d-get');
    } finally {
      await adapter.close();
      await emu.close();
      await hook.close();
    }
  });
});
