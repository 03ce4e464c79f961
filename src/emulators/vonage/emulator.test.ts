import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startVonageEmulator, type VonageEmulator } from './emulator.js';

type Reply = { 'message-count': string; messages: Array<Record<string, string>> };

describe('vonage emulator', () => {
  let emu: VonageEmulator;
  const form = async (fields: Record<string, string>) => {
    const res = await request(`${emu.url}/sms/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Reply };
  };
  const creds = () => ({ api_key: emu.apiKey, api_secret: emu.apiSecret });

  beforeAll(async () => {
    emu = await startVonageEmulator({ whitelist: ['447700900000', '447700900001'] });
  });
  afterAll(() => emu.close());

  it('answers the real envelope, one entry per part, all strings', async () => {
    const { status, body } = await form({ ...creds(), from: 'Herald', to: '447700900000', text: 'a'.repeat(200), 'client-ref': 'd1' });
    expect(status).toBe(200);
    expect(body['message-count']).toBe('2');
    expect(body.messages).toHaveLength(2);
    for (const m of body.messages) {
      expect(m).toMatchObject({ to: '447700900000', status: '0', 'client-ref': 'd1', network: '23410', 'message-price': '0.03330000' });
      expect(m['message-id']).toMatch(/^[0-9A-F]{16}$/);
      expect(m['remaining-balance']).toMatch(/^\d+\.\d{8}$/);
    }
  });

  it('accepts JSON with Basic auth, as the v3 SDK sends', async () => {
    const res = await request(`${emu.url}/sms/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${emu.apiKey}:${emu.apiSecret}`).toString('base64')}` },
      body: JSON.stringify({ from: 'Herald', to: '447700900001', text: 'Привет', type: 'unicode' }),
    });
    const body = (await res.body.json()) as Reply;
    expect(body.messages[0].status).toBe('0');
    expect(emu.received.at(-1)).toMatchObject({ encoding: 'UCS-2', parts: ['Привет'] });
  });

  it.each([
    [{ api_secret: 'x', from: 'H', to: '447700900000', text: 'hi' }, '2'],
    [{ api_key: 'nope', api_secret: 'nope', from: 'H', to: '447700900000', text: 'hi' }, '4'],
  ])('credential problems arrive inside HTTP 200: %o → status %s', async (fields, status) => {
    const res = await form(fields);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ 'message-count': '1', messages: [{ status, 'error-text': expect.any(String) }] });
  });

  it.each([
    [{ to: '447700900000', text: 'hi' }, '2'],
    [{ from: 'H', text: 'hi' }, '2'],
    [{ from: 'H', to: '447700900000' }, '2'],
    [{ from: 'H', to: 'abc', text: 'hi' }, '3'],
    [{ from: 'H', to: '447700900000', text: 'hi', ttl: '5' }, '3'],
    [{ from: 'H', to: '447700900000', text: 'hi', callback: 'not a url' }, '23'],
    [{ from: 'H', to: '447700900099', text: 'hi' }, '29'],
  ])('validates %o → status %s', async (fields, status) => {
    expect((await form({ ...creds(), ...fields })).body.messages[0].status).toBe(status);
  });

  it('injects Vonage statuses and bare HTTP errors', async () => {
    emu.inject({ status: 1 });
    expect((await form({ ...creds(), from: 'H', to: '447700900000', text: 'hi' })).body.messages[0]).toEqual({ status: '1', 'error-text': 'Throttled' });
    emu.inject({ httpStatus: 503 });
    expect((await form({ ...creds(), from: 'H', to: '447700900000', text: 'hi' })).status).toBe(503);
  });
});
