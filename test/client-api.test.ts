import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { eventually, request, startTestHerald, type TestHerald } from './helpers/herald.js';

describe('client apps: user tokens and /v1/me', () => {
  let h: TestHerald;
  let token: string;
  const me = (method: string, route: string, body?: unknown, t = token) => request(h.url, `Bearer ${t}`, method, route, body);

  beforeAll(async () => {
    h = await startTestHerald('sqlite');
    await h.api('PUT', '/v1/users/mia', { email: 'mia@example.com' });
    await h.api('PUT', '/v1/users/other', { email: 'other@example.com' });
    await h.api('PUT', '/v1/templates/reminder', { channels: { push: { title: 'Reminder', body: '{{ params.what }}' }, email: { subject: 'Reminder', text: '{{ params.what }}' } } });
    await h.api('PUT', '/v1/templates/admin_only', { channels: { email: { subject: 'x', text: 'y' } } });
    const t = await h.api('POST', '/v1/users/mia/tokens', { ttl: 600 });
    expect(t.status).toBe(201);
    expect(Date.parse(t.body.expires_at) - Date.now()).toBeGreaterThan(590_000);
    token = t.body.token;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('issues tokens only for known users of the calling app', async () => {
    expect((await h.api('POST', '/v1/users/ghost/tokens', {})).status).toBe(404);
    expect((await h.api('POST', '/v1/users/mia/tokens', { ttl: 10 })).status).toBe(400);
  });

  it('registers the app’s own device and changes its own preferences', async () => {
    const d = await me('POST', '/v1/me/devices', { platform: 'ios', token: 'ab'.repeat(32) });
    expect(d.status).toBe(201);
    expect(d.body.user_id).toBe('mia');
    expect((await me('POST', '/v1/me/devices', { platform: 'ios', token: 'zz' })).body.error.code).toBe('invalid_token');
    expect((await me('PUT', '/v1/me/preferences', { categories: { marketing: { email: false } } })).status).toBe(200);
    expect((await h.api('GET', '/v1/users/mia/preferences')).body.categories.marketing.email).toBe(false);
    expect((await me('GET', '/v1/me/preferences')).body.categories.marketing.email).toBe(false);
  });

  it('refuses expired, forged, foreign and missing tokens, and never reaches other routes', async () => {
    expect((await request(h.url, undefined, 'GET', '/v1/me/preferences')).status).toBe(401);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await me('GET', '/v1/me/preferences', undefined, forged)).status).toBe(401);
    const foreignKey = new TextEncoder().encode('x'.repeat(32));
    const foreign = await new SignJWT({ app: h.herald.credentials ? 'x' : 'y' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mia').setAudience('herald:me').setExpirationTime('1h').sign(foreignKey);
    expect((await me('GET', '/v1/me/preferences', undefined, foreign)).status).toBe(401);
    const { UserTokens } = await import('../src/services/user-tokens.js');
    const app = (await h.herald.store.apps.findByKey('test-key'))!;
    const incarnation = (await h.herald.store.users.get(app.id, 'mia'))!.incarnation!;
    const expired = await new UserTokens(h.herald.config.secretKey).issue(app, { id: 'mia', incarnation }, 60, Date.now() - 120_000);
    expect((await me('GET', '/v1/me/preferences', undefined, expired.token)).status).toBe(401);
    // a user token is not app credentials
    expect((await me('GET', '/v1/users/mia')).status).toBe(401);
    expect((await me('GET', '/v1/notifications')).status).toBe(401);
    // and app credentials are not a user token
    expect((await h.api('GET', '/v1/me/preferences')).status).toBe(401);
  });

  it('schedules a reminder to itself with an allowed template, and reports a push opened', async () => {
    expect((await me('POST', '/v1/me/notifications', { template: 'reminder', params: { what: 'stretch' } })).body.error.code).toBe('template_not_allowed');
    await h.api('PUT', '/v1/settings', { client_templates: ['reminder'] });
    expect((await me('POST', '/v1/me/notifications', { template: 'admin_only' })).status).toBe(403);
    expect((await me('POST', '/v1/me/notifications', { template: 'reminder', user_id: 'other' })).status).toBe(400);
    const r = await me('POST', '/v1/me/notifications', { template: 'reminder', params: { what: 'stretch' }, channels: ['push'] });
    expect(r.status).toBe(202);
    expect(r.body.deliveries[0]).toMatchObject({ channel: 'push', platform: 'ios' });
    const id = r.body.deliveries[0].id;
    await eventually(async () => (await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0].status === 'sent');
    expect((await me('POST', '/v1/me/events', { type: 'opened', delivery_id: id })).status).toBe(202);
    expect((await me('POST', '/v1/me/events', { type: 'opened', delivery_id: id })).status).toBe(202);
    const d = (await h.api('GET', `/v1/notifications/${r.body.id}`)).body.deliveries[0];
    expect(d.events.filter((e: any) => e.type === 'opened')).toHaveLength(1);
    // another user's token cannot report it
    const otherToken = (await h.api('POST', '/v1/users/other/tokens', {})).body.token;
    expect((await me('POST', '/v1/me/events', { type: 'opened', delivery_id: id }, otherToken)).status).toBe(404);
  });
});
