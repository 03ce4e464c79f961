import { createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApnsEmulator, type ApnsEmulator, type ApnsProviderKey } from './index.js';

let emu: ApnsEmulator;
let key: ApnsProviderKey;

beforeAll(async () => {
  emu = await startApnsEmulator({ topics: ['com.example.app'] });
  key = emu.createProviderKey();
});
afterAll(() => emu.close());

/** A provider JWT signed by hand, so the tests do not depend on the adapter's code. */
function jwt(k: ApnsProviderKey, iat = Math.floor(Date.now() / 1000), kid = k.key_id): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'ES256', kid })}.${enc({ iss: k.team_id, iat })}`;
  const sig = sign('sha256', Buffer.from(input), { key: createPrivateKey(k.private_key), dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

interface Answer {
  status: number;
  apnsId?: string;
  body: Record<string, unknown>;
}

function post(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body = '{"aps":{"alert":"hi"}}'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': 'POST', ':path': `/3/device/${randomBytes(32).toString('hex')}`, 'apns-topic': 'com.example.app', ...headers });
    let status = 0;
    let apnsId: string | undefined;
    let text = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
      apnsId = h['apns-id'] as string | undefined;
    });
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve({ status, apnsId, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    req.on('error', reject);
    req.end(body);
  });
}

function connect(): ClientHttp2Session {
  const s = http2.connect(emu.url, { ca: emu.ca });
  s.on('error', () => undefined);
  return s;
}

describe('APNs emulator', () => {
  it('accepts a valid request and echoes apns-id', async () => {
    const s = connect();
    const id = randomUUID();
    const res = await post(s, { authorization: `bearer ${jwt(key)}`, 'apns-id': id });
    expect(res).toEqual({ status: 200, apnsId: id, body: {} });
    s.close();
  });

  it.each<[string, OutgoingHttpHeaders, string | undefined, number, string]>([
    ['no token', {}, undefined, 403, 'MissingProviderToken'],
    ['garbage token', { authorization: 'bearer a.b.c' }, undefined, 403, 'InvalidProviderToken'],
    ['no topic', { 'apns-topic': '' }, undefined, 400, 'MissingTopic'],
    ['foreign topic', { 'apns-topic': 'com.evil.app' }, undefined, 400, 'TopicDisallowed'],
    ['bad apns-id', { 'apns-id': 'not-a-uuid' }, undefined, 400, 'BadMessageId'],
    ['bad priority', { 'apns-priority': '7' }, undefined, 400, 'BadPriority'],
    ['bad push type', { 'apns-push-type': 'shout' }, undefined, 400, 'InvalidPushType'],
    ['bad expiration', { 'apns-expiration': 'soon' }, undefined, 400, 'BadExpirationDate'],
    ['long collapse id', { 'apns-collapse-id': 'c'.repeat(65) }, undefined, 400, 'BadCollapseId'],
    ['empty payload', {}, '', 400, 'PayloadEmpty'],
    ['payload over 4096', {}, JSON.stringify({ aps: {}, pad: 'x'.repeat(4100) }), 413, 'PayloadTooLarge'],
    ['bad path', { ':path': '/2/device/abc' }, undefined, 404, 'BadPath'],
    ['bad method', { ':method': 'PUT' }, undefined, 405, 'MethodNotAllowed'],
    ['bad device token', { ':path': '/3/device/xyz' }, undefined, 400, 'BadDeviceToken'],
  ])('%s → %i %s', async (_name, headers, body, status, reason) => {
    const s = connect();
    const auth = 'authorization' in headers || reason === 'MissingProviderToken' ? {} : { authorization: `bearer ${jwt(key)}` };
    const res = await post(s, { ...auth, ...headers }, body);
    expect(res.status).toBe(status);
    expect(res.body.reason).toBe(reason);
    expect(res.apnsId).toMatch(/^[0-9a-f-]{36}$/);
    s.close();
  });

  it('refuses a token older than an hour', async () => {
    const s = connect();
    const res = await post(s, { authorization: `bearer ${jwt(key, Math.floor(Date.now() / 1000) - 3700)}` });
    expect(res).toMatchObject({ status: 403, body: { reason: 'ExpiredProviderToken' } });
    s.close();
  });

  it('throttles a second token on one connection within 20 minutes', async () => {
    const s = connect();
    const t = Math.floor(Date.now() / 1000);
    expect((await post(s, { authorization: `bearer ${jwt(key, t - 10)}` })).status).toBe(200);
    expect(await post(s, { authorization: `bearer ${jwt(key, t)}` })).toMatchObject({ status: 429, body: { reason: 'TooManyProviderTokenUpdates' } });
    s.close();
  });

  it('refuses another key on a connection authenticated with one', async () => {
    const other = emu.createProviderKey({ teamId: key.team_id });
    const s = connect();
    expect((await post(s, { authorization: `bearer ${jwt(key)}` })).status).toBe(200);
    expect(await post(s, { authorization: `bearer ${jwt(other)}` })).toMatchObject({ status: 403, body: { reason: 'UnrelatedKeyIdInToken' } });
    s.close();
  });

  it('answers 410 Unregistered with the timestamp', async () => {
    const token = randomBytes(32).toString('hex');
    emu.unregister(token, 1_700_000_000_000);
    const s = connect();
    const res = await post(s, { authorization: `bearer ${jwt(key)}`, ':path': `/3/device/${token}` });
    expect(res).toMatchObject({ status: 410, body: { reason: 'Unregistered', timestamp: 1_700_000_000_000 } });
    s.close();
  });

  it('records what it accepted and tells listeners', async () => {
    const seen: string[] = [];
    const listener = (m: { apnsId: string }) => seen.push(m.apnsId);
    emu.on('message', listener);
    const s = connect();
    const id = randomUUID();
    await post(s, { authorization: `bearer ${jwt(key)}`, 'apns-id': id, 'apns-push-type': 'background', 'apns-priority': '5' }, '{"aps":{"content-available":1},"k":"v"}');
    emu.off('message', listener);
    expect(seen).toEqual([id]);
    expect(emu.received.at(-1)).toMatchObject({ apnsId: id, pushType: 'background', priority: 5, payload: { k: 'v' } });
    s.close();
  });
});
