import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { request, startTestHerald, type TestHerald } from './helpers/herald.js';

interface Case {
  name: string;
  method: string;
  route: string;
  body?: unknown;
  /** Raw body text instead of JSON. */
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code?: string;
}

const big = 'x'.repeat(6 * 1024 * 1024);
const SQLISH = ["'; DROP TABLE users; --", '1 OR 1=1', '" OR ""="', 'robert"); DELETE FROM deliveries; --'];
const ODD = ['\u0000nul', 'e\u0301\u200b\u202eevil', '😀'.repeat(10), '../../etc/passwd', '%00', 'a b'];

const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', route: '/v1/notifications', raw: '{"user_id": "u1",', status: 400, code: 'invalid_json' },
  { name: 'empty JSON body', method: 'POST', route: '/v1/notifications', raw: '', headers: { 'content-type': 'application/json' }, status: 400 },
  { name: 'JSON that is not an object', method: 'POST', route: '/v1/notifications', raw: '[1,2,3]', status: 400, code: 'invalid_request' },
  { name: 'non-JSON content type', method: 'POST', route: '/v1/notifications', raw: '<user_id>u1</user_id>', headers: { 'content-type': 'application/xml' }, status: 415, code: 'unsupported_media_type' },
  { name: 'oversized body', method: 'POST', route: '/v1/notifications', raw: JSON.stringify({ user_id: 'u1', params: { big } }), status: 413, code: 'payload_too_large' },
  { name: 'wrong type: user_id number', method: 'POST', route: '/v1/notifications', body: { user_id: 42, content: { sms: { text: 'x' } } }, status: 400, code: 'invalid_request' },
  { name: 'wrong type: ttl string', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', ttl: '60', content: { sms: { text: 'x' } } }, status: 400, code: 'invalid_request' },
  { name: 'wrong type: channels not array', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', channels: 'sms', content: { sms: { text: 'x' } } }, status: 400 },
  { name: 'unknown channel', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', channels: ['fax'], content: { sms: { text: 'x' } } }, status: 400 },
  { name: 'unknown priority', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', priority: 'urgent', content: { sms: { text: 'x' } } }, status: 400 },
  { name: 'two recipient kinds', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', to: { email: 'a@b.co' }, content: { sms: { text: 'x' } } }, status: 400, code: 'invalid_recipients' },
  { name: 'no recipient', method: 'POST', route: '/v1/notifications', body: { content: { sms: { text: 'x' } } }, status: 400, code: 'invalid_recipients' },
  { name: 'template and content', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', template: 't', content: { sms: { text: 'x' } } }, status: 400, code: 'invalid_content' },
  { name: 'unknown template', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', template: 'nope' }, status: 404, code: 'unknown_template' },
  { name: 'unknown user', method: 'POST', route: '/v1/notifications', body: { user_id: 'nobody', content: { sms: { text: 'x' } } }, status: 404, code: 'unknown_user' },
  { name: 'channel without content', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', channels: ['email'], content: { sms: { text: 'x' } } }, status: 400, code: 'channel_without_content' },
  { name: 'bad send_at', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', send_at: 'tomorrow', content: { sms: { text: 'x' } } }, status: 400, code: 'invalid_send_at' },
  { name: 'inline bad email', method: 'POST', route: '/v1/notifications', body: { to: { email: 'nope' }, content: { email: { subject: 's', text: 't' } } }, status: 400, code: 'invalid_email' },
  { name: 'inline bad phone', method: 'POST', route: '/v1/notifications', body: { to: { phone: '12345' }, content: { sms: { text: 't' } } }, status: 400, code: 'invalid_phone' },
  { name: 'too many user_ids', method: 'POST', route: '/v1/notifications', body: { user_ids: Array.from({ length: 1001 }, (_, i) => `u${i}`), content: { sms: { text: 'x' } } }, status: 400 },
  { name: 'sms text too long', method: 'POST', route: '/v1/notifications', body: { user_id: 'u1', content: { sms: { text: 'x'.repeat(1601) } } }, status: 400 },
  { name: 'batch not a list', method: 'POST', route: '/v1/notifications/batch', body: { notifications: {} }, status: 400 },
  { name: 'batch too large', method: 'POST', route: '/v1/notifications/batch', body: { notifications: Array.from({ length: 1001 }, () => ({})) }, status: 400 },
  { name: 'template with broken Liquid', method: 'PUT', route: '/v1/templates/broken', body: { channels: { sms: { text: '{{ params.x ' } } }, status: 400, code: 'invalid_template' },
  { name: 'template without channels', method: 'PUT', route: '/v1/templates/empty', body: { channels: {} }, status: 400 },
  { name: 'user with bad email', method: 'PUT', route: '/v1/users/u2', body: { email: 'a@' }, status: 400, code: 'invalid_email' },
  { name: 'user with data not an object', method: 'PUT', route: '/v1/users/u2', body: { data: 'x' }, status: 400 },
  { name: 'device with unknown platform', method: 'POST', route: '/v1/users/u1/devices', body: { platform: 'blackberry', token: 'x' }, status: 400 },
  { name: 'notification id not a uuid', method: 'GET', route: "/v1/notifications/1' OR '1'='1", status: 400 },
  { name: 'retry of a non-uuid', method: 'POST', route: '/v1/deliveries/abc/retry', status: 400 },
  { name: 'list with bad cursor', method: 'GET', route: '/v1/notifications?cursor=zzz', status: 400 },
  { name: 'list with bad limit', method: 'GET', route: '/v1/notifications?limit=-1', status: 400 },
  ...SQLISH.flatMap((s): Case[] => [
    { name: `SQL-looking user id in path: ${s}`, method: 'GET', route: `/v1/users/${encodeURIComponent(s)}`, status: 400 },
    { name: `SQL-looking user id in send: ${s}`, method: 'POST', route: '/v1/notifications', body: { user_id: s, content: { sms: { text: 'x' } } }, status: 400 },
    { name: `SQL-looking event_id: ${s}`, method: 'POST', route: '/v1/notifications', body: { event_id: s, user_id: 'u1', content: { sms: { text: 'x' } } }, status: 400 },
    { name: `SQL-looking template key: ${s}`, method: 'PUT', route: `/v1/templates/${encodeURIComponent(s)}`, body: { channels: { sms: { text: 'x' } } }, status: 400 },
  ]),
  ...ODD.flatMap((s): Case[] => [
    { name: `odd unicode user id: ${JSON.stringify(s)}`, method: 'PUT', route: `/v1/users/${encodeURIComponent(s)}`, body: { email: 'a@b.co' }, status: 400 },
    { name: `odd unicode in user_ids: ${JSON.stringify(s)}`, method: 'POST', route: '/v1/notifications', body: { user_ids: ['u1', s], content: { sms: { text: 'x' } } }, status: 400 },
  ]),
];

describe('bad input is refused with a 4xx envelope, writes nothing, and the server stays up', () => {
  let h: TestHerald;
  let counts: () => Record<string, number>;
  let before: Record<string, number>;

  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await h.api('PUT', '/v1/users/u1', { email: 'u1@example.com', phone: '+14155552671' });
    await h.api('PUT', '/v1/templates/t', { channels: { sms: { text: 'hi {{ params.name }}' } } });
    const db = new Database(path.join(h.dataDir, 'herald.db'), { readonly: true });
    counts = () =>
      Object.fromEntries(
        ['users', 'devices', 'templates', 'notifications', 'deliveries', 'events'].map((t) => [t, (db.prepare(`select count(*) n from ${t}`).get() as { n: number }).n]),
      );
    before = counts();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it.each(cases)('$name → $status', async (c) => {
    const headers = { ...(c.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...c.headers };
    const res = await request(h.url, `Basic ${Buffer.from(`${h.key}:${h.secret}`).toString('base64')}`, c.method, c.route, c.raw ?? c.body, headers);
    expect(res.status).toBe(c.status);
    expect(res.body?.error?.code, JSON.stringify(res.body)).toEqual(c.code ?? expect.any(String));
    expect(typeof res.body.error.message).toBe('string');
    expect(counts()).toEqual(before);
  });

  it('is still up and working afterwards', async () => {
    expect((await request(h.url, undefined, 'GET', '/healthz')).status).toBe(200);
    const ok = await h.api('POST', '/v1/notifications', { user_id: 'u1', template: 't', params: { name: 'x' } });
    expect(ok.status).toBe(202);
  });
});
