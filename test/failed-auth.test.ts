import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { basic, startTestHerald, type TestHerald } from './helpers/herald.js';

/**
 * SPEC §11: failed authentications are limited per client address — 429 `rate_limited` with Retry-After
 * after 20 a minute — on the API (app credentials, user tokens, the metrics token) and the dashboard
 * sign-in alike, one count for all of them. Each case comes from its own loopback address (all of
 * 127/8 reaches the server on Linux), so the cases do not share a count.
 */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

function from(localAddress: string) {
  return (url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, localAddress }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(opts.body);
    });
}

describe('failed-authentication limit per client address', () => {
  let h: TestHerald;
  const good = () => basic(h.key, h.secret);
  const wrong = () => basic(h.key, 'not-the-secret');

  beforeAll(async () => {
    h = await startTestHerald('sqlite', { HERALD_METRICS_TOKEN: 'metrics-token-for-the-test' });
    await h.api('PUT', '/v1/users/mia', { email: 'mia@example.com' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 429 with Retry-After and the envelope after 20 wrong secrets, even to the right one, and only to that address', async () => {
    const get = from('127.0.0.11');
    for (let i = 0; i < 20; i++) expect((await get(`${h.url}/v1/users/mia`, { headers: { authorization: wrong() } })).status).toBe(401);
    const blocked = await get(`${h.url}/v1/users/mia`, { headers: { authorization: good() } });
    expect(blocked.status).toBe(429);
    expect(blocked.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('failed authentications') } });
    const wait = Number(blocked.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    // An unknown key counts like a wrong secret, and a malformed header too.
    expect((await get(`${h.url}/v1/users/mia`, { headers: { authorization: basic('hk_unknown', 'x') } })).status).toBe(429);
    // No credentials is not an attempt: still the 401 that says what is needed.
    expect((await get(`${h.url}/v1/users/mia`)).status).toBe(401);
    // Another address is not affected; public routes neither.
    expect((await from('127.0.0.12')(`${h.url}/v1/users/mia`, { headers: { authorization: good() } })).status).toBe(200);
    expect((await get(`${h.url}/healthz`)).status).toBe(200);
  });

  it('counts unknown keys, malformed headers, forged user tokens, wrong metrics tokens and refused dashboard sign-ins in one count', async () => {
    const get = from('127.0.0.13');
    const fails = [
      () => get(`${h.url}/v1/users/mia`, { headers: { authorization: basic('hk_nobody', 'x') } }),
      () => get(`${h.url}/v1/users/mia`, { headers: { authorization: 'Basic !!!' } }),
      () => get(`${h.url}/v1/me/preferences`, { headers: { authorization: 'Bearer forged.token.here' } }),
      () => get(`${h.url}/metrics`, { headers: { authorization: 'Bearer wrong-metrics-token' } }),
    ];
    for (let i = 0; i < 16; i++) expect((await fails[i % 4]()).status).toBe(401);
    // Four refused sign-ins on the dashboard's form (with its nonce cookie and token, as a browser posts it).
    const page = await get(`${h.url}/`);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    const token = /name="signin" value="([^"]+)"/.exec(page.text)![1];
    const signIn = (secret: string) =>
      get(`${h.url}/`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ signin: token, key: h.key, secret }).toString(),
      });
    for (let i = 0; i < 4; i++) expect((await signIn('wrong')).status).toBe(401);
    // 20 now: the API refuses, and so does the dashboard, even the right secret (an HTML page for the browser).
    expect((await get(`${h.url}/v1/users/mia`, { headers: { authorization: good() } })).status).toBe(429);
    const page429 = await signIn(h.secret);
    expect(page429.status).toBe(429);
    expect(Number(page429.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(page429.text).toContain('Too many failed sign-ins');
    expect(page429.headers['set-cookie'] ?? '').not.toContain('herald_session=');
    expect((await get(`${h.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-the-test' } })).status).toBe(429);
  });

  it('never counts successes, nor genuine user tokens that expired or were revoked', async () => {
    const get = from('127.0.0.14');
    for (let i = 0; i < 30; i++) expect((await get(`${h.url}/v1/users/mia`, { headers: { authorization: good() } })).status).toBe(200);
    const { token } = (await h.api('POST', '/v1/users/mia/tokens', { ttl: 60 })).body;
    await h.api('DELETE', '/v1/users/mia');
    await h.api('PUT', '/v1/users/mia', { email: 'mia@example.com' });
    // The token names the erased row: refused every time, never counted (a carrier NAT may hold many such clients).
    for (let i = 0; i < 30; i++) expect((await get(`${h.url}/v1/me/preferences`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await get(`${h.url}/v1/users/mia`, { headers: { authorization: good() } })).status).toBe(200);
  });
});
