import { describe, expect, it } from 'vitest';
import { startTwilioEmulator } from '../../emulators/twilio/emulator.js';
import { createTwilioAdapter } from '../sms/twilio/adapter.js';
import { startHookServer } from './hook-server.test-helper.js';
import { computeTwilioSignature, parseTwilioStatus, verifyTwilioSignature } from './twilio.js';

// The example from Twilio's webhook-security documentation: the only fixture here not produced
// by this implementation, so the only one that catches a self-consistent mistake.
const DOC_TOKEN = '12345';
const DOC_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const DOC_PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675310',
  Digits: '1234',
  From: '+14158675310',
  To: '+18005551212',
};
const DOC_SIGNATURE = 'GvWf1cFY/Q7PnoempGyD5oXAezc=';

describe('verifyTwilioSignature', () => {
  it("matches Twilio's documented vector", () => {
    expect(computeTwilioSignature(DOC_TOKEN, DOC_URL, DOC_PARAMS)).toBe(DOC_SIGNATURE);
    expect(verifyTwilioSignature(DOC_TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(true);
  });

  it('rejects an altered param, URL, token or signature, and a missing header', () => {
    expect(verifyTwilioSignature(DOC_TOKEN, DOC_URL, { ...DOC_PARAMS, Digits: '9999' }, DOC_SIGNATURE)).toBe(false);
    expect(verifyTwilioSignature(DOC_TOKEN, DOC_URL, { ...DOC_PARAMS, Extra: '' }, DOC_SIGNATURE)).toBe(false);
    expect(verifyTwilioSignature(DOC_TOKEN, `${DOC_URL}&baz=3`, DOC_PARAMS, DOC_SIGNATURE)).toBe(false);
    expect(verifyTwilioSignature('54321', DOC_URL, DOC_PARAMS, DOC_SIGNATURE)).toBe(false);
    expect(verifyTwilioSignature(DOC_TOKEN, DOC_URL, DOC_PARAMS, 'GvWf1cFY/Q7PnoempGyD5oXAezd=')).toBe(false);
    expect(verifyTwilioSignature(DOC_TOKEN, DOC_URL, DOC_PARAMS, '')).toBe(false);
    expect(verifyTwilioSignature(DOC_TOKEN, DOC_URL, DOC_PARAMS, undefined)).toBe(false);
  });

  it('accepts a signature made over the URL with the default port written out', () => {
    const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    const sig = computeTwilioSignature(DOC_TOKEN, withPort, DOC_PARAMS);
    expect(verifyTwilioSignature(DOC_TOKEN, DOC_URL, DOC_PARAMS, sig)).toBe(true);
  });
});

describe('parseTwilioStatus', () => {
  it('reads a delivered callback', () => {
    expect(parseTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'delivered', To: '+1', AccountSid: 'AC1' })).toEqual({
      providerMessageId: 'SM1',
      status: 'delivered',
      errorCode: undefined,
      to: '+1',
      accountSid: 'AC1',
      event: 'delivered',
    });
  });

  it('carries the 30xxx code of an undelivered message and maps it to failed', () => {
    expect(parseTwilioStatus({ MessageSid: 'SM2', MessageStatus: 'undelivered', ErrorCode: '30003' })).toMatchObject({
      status: 'undelivered',
      errorCode: '30003',
      event: 'failed',
    });
  });

  it('leaves intermediate states without an event, and ignores non-status posts', () => {
    expect(parseTwilioStatus({ MessageSid: 'SM3', MessageStatus: 'sent' })?.event).toBeUndefined();
    expect(parseTwilioStatus({ Body: 'hello' })).toBeUndefined();
  });
});

describe('status callbacks from the emulator', () => {
  it('arrive signed, verify with the auth token and parse', async () => {
    const hook = await startHookServer();
    const callbackUrl = `${hook.url}/hooks/twilio?app=a1`;
    const emu = await startTwilioEmulator({ autoCallback: { status: 'delivered', delayMs: 1 }, unreachableNumbers: ['+14155550199'] });
    const adapter = createTwilioAdapter({
      account_sid: emu.accountSid,
      auth_token: emu.authToken,
      from: '+15005550006',
      endpoint: emu.url,
      status_callback_url: callbackUrl,
    });
    try {
      const ok = await adapter.send({ deliveryId: 'd1', channel: 'sms', to: '+14155550100', sms: { text: 'hi' }, priority: 'normal' });
      const got = await hook.next();
      const params = Object.fromEntries(new URLSearchParams(got.body.toString()));
      const signature = got.headers['x-twilio-signature'] as string;
      expect(verifyTwilioSignature(emu.authToken, callbackUrl, params, signature)).toBe(true);
      expect(verifyTwilioSignature('not-the-token', callbackUrl, params, signature)).toBe(false);
      expect(verifyTwilioSignature(emu.authToken, callbackUrl, { ...params, MessageStatus: 'failed' }, signature)).toBe(false);
      expect(parseTwilioStatus(params)).toMatchObject({ providerMessageId: ok.providerMessageId, status: 'delivered', event: 'delivered' });

      await adapter.send({ deliveryId: 'd2', channel: 'sms', to: '+14155550199', sms: { text: 'hi' }, priority: 'normal' });
      const bad = Object.fromEntries(new URLSearchParams((await hook.next()).body.toString()));
      expect(parseTwilioStatus(bad)).toMatchObject({ status: 'undelivered', errorCode: '30003', event: 'failed' });

      // The explicit hook lets tests drive any status at any time.
      const res = await emu.sendStatusCallback(ok.providerMessageId as string, 'read');
      expect(res.status).toBe(204);
      const read = await hook.next();
      expect(parseTwilioStatus(Object.fromEntries(new URLSearchParams(read.body.toString())))?.event).toBe('opened');
    } finally {
      await adapter.close();
      await emu.close();
      await hook.close();
    }
  });
});
