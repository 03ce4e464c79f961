import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTwilioEmulator, type TwilioEmulator } from './emulator.js';

describe('twilio emulator', () => {
  let emu: TwilioEmulator;
  let auth: string;
  const post = async (fields: Record<string, string>, authorization = auth, account = emu.accountSid) => {
    const res = await request(`${emu.url}/2010-04-01/Accounts/${account}/Messages.json`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    emu = await startTwilioEmulator();
    auth = `Basic ${Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64')}`;
  });
  afterAll(() => emu.close());

  it('answers 201 with a real-shaped message resource', async () => {
    const { status, body } = await post({ To: '+14155550100', From: '+15005550006', Body: 'x'.repeat(161) });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      account_sid: emu.accountSid,
      api_version: '2010-04-01',
      direction: 'outbound-api',
      status: 'queued',
      num_segments: '2',
      error_code: null,
      to: '+14155550100',
      from: '+15005550006',
    });
    expect(body.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(body.date_created).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    const fetched = await request(`${emu.url}${String(body.uri)}`, { headers: { authorization: auth } });
    expect(fetched.statusCode).toBe(200);
    expect(((await fetched.body.json()) as { sid: string }).sid).toBe(body.sid);
  });

  it('refuses bad credentials with 20003 and a challenge', async () => {
    const res = await post({ To: '+14155550100', From: '+15005550006', Body: 'hi' }, 'Basic ' + Buffer.from(`${emu.accountSid}:x`).toString('base64'));
    expect(res).toEqual({
      status: 401,
      body: { code: 20003, message: expect.any(String), more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 },
    });
  });

  it('refuses another account path with 20404', async () => {
    expect((await post({ To: '+14155550100', From: '+1', Body: 'hi' }, auth, `AC${'0'.repeat(32)}`)).body.code).toBe(20404);
  });

  it.each([
    [{ From: '+15005550006', Body: 'hi' }, 21604],
    [{ To: '+14155550100', Body: 'hi' }, 21603],
    [{ To: '+14155550100', From: '+15005550006' }, 21602],
    [{ To: '4155550100', From: '+15005550006', Body: 'hi' }, 21211],
    [{ To: '+14155550100', From: '+15005550006', Body: 'x'.repeat(1601) }, 21617],
  ])('validates like Twilio: %o → %i', async (fields, code) => {
    const { status, body } = await post(fields);
    expect(status).toBe(400);
    expect(body).toMatchObject({ code, status: 400, more_info: `https://www.twilio.com/docs/errors/${code}` });
  });

  it('injected faults apply to the next N requests, optionally per target', async () => {
    emu.inject({ status: 429, code: 20429, count: 2, target: '+14155550111' });
    expect((await post({ To: '+14155550100', From: '+1500', Body: 'a' })).status).toBe(201);
    expect((await post({ To: '+14155550111', From: '+1500', Body: 'a' })).status).toBe(429);
    expect((await post({ To: '+14155550111', From: '+1500', Body: 'a' })).status).toBe(429);
    expect((await post({ To: '+14155550111', From: '+1500', Body: 'a' })).status).toBe(201);
  });

  it('emits each accepted message to listeners', async () => {
    const seen: string[] = [];
    const listener = (m: { to: string }) => seen.push(m.to);
    emu.on('message', listener);
    await post({ To: '+14155550122', From: '+15005550006', Body: 'hi' });
    emu.off('message', listener);
    expect(seen).toEqual(['+14155550122']);
  });
});
